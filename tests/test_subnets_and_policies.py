"""Pure logic: subnet layout, per-region VPC blocks, and the IAM/KMS documents."""

import ipaddress
import itertools

import pytest

from tierstack.aws import policies
from tierstack.catalog.aws import instance_architecture, region_code
from tierstack.sizing.subnets import plan_subnets, region_vpc_cidr


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/20"])
@pytest.mark.parametrize("azs", [2, 3, 6])
def test_subnets_fit_the_vpc_and_never_overlap(cidr, azs):
    layout = plan_subnets(cidr, azs)
    vpc = ipaddress.IPv4Network(cidr)
    subnets = [ipaddress.IPv4Network(s) for s in (*layout.public, *layout.private, *layout.data)]
    assert len(layout.public) == len(layout.private) == len(layout.data) == azs
    assert all(s.subnet_of(vpc) for s in subnets)
    for a, b in itertools.combinations(subnets, 2):
        assert not a.overlaps(b), (a, b)
    # Private subnets hold every pod IP under the VPC CNI, so they get the most room.
    assert ipaddress.IPv4Network(layout.private[0]).num_addresses > ipaddress.IPv4Network(layout.public[0]).num_addresses
    assert min(s.prefixlen for s in subnets) >= vpc.prefixlen and max(s.prefixlen for s in subnets) <= 28


def test_a_slash_16_gives_each_az_a_slash_19_for_pods():
    assert plan_subnets("10.0.0.0/16", 3).private == ("10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19")


def test_regions_get_consecutive_non_overlapping_blocks():
    base = ipaddress.IPv4Network("10.0.0.0/16")
    blocks = [region_vpc_cidr(base, i) for i in range(5)]
    assert [str(b) for b in blocks] == ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"]
    with pytest.raises(ValueError):
        region_vpc_cidr(ipaddress.IPv4Network("192.168.0.0/16"), 1)


def test_irsa_trust_is_scoped_to_one_service_account():
    doc = policies.irsa_trust("arn:aws:iam::1:oidc-provider/oidc.eks.x/id/AB", "https://oidc.eks.x/id/AB", "kube-system", "aws-node")
    condition = doc["Statement"][0]["Condition"]["StringEquals"]
    assert condition == {"oidc.eks.x/id/AB:aud": "sts.amazonaws.com",
                         "oidc.eks.x/id/AB:sub": "system:serviceaccount:kube-system:aws-node"}
    assert doc["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity"


def test_cluster_autoscaler_can_only_scale_its_own_node_groups():
    doc = policies.cluster_autoscaler("prod-use1")
    writes = next(s for s in doc["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"])
    assert writes["Condition"]["StringEquals"]["aws:ResourceTag/k8s.io/cluster-autoscaler/prod-use1"] == "owned"
    reads = next(s for s in doc["Statement"] if s is not writes)
    assert not any(a.startswith("autoscaling:Set") or a.startswith("autoscaling:Terminate") for a in reads["Action"])


def test_logs_key_grant_is_limited_to_this_account_and_region():
    grant = policies.cloudwatch_logs_key_grant("123456789012", "aws", "eu-west-1")
    assert grant["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == "arn:aws:logs:eu-west-1:123456789012:*"
    policy = policies.kms_key_policy("123456789012", "aws", [grant])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


@pytest.mark.parametrize("region, code", [("us-east-1", "use1"), ("ap-southeast-1", "apse1"),
                                          ("eu-central-1", "euc1"), ("ap-northeast-1", "apne1")])
def test_region_codes(region, code):
    assert region_code(region) == code


@pytest.mark.parametrize("instance_type, arch", [("m7g.large", "arm64"), ("c6gn.xlarge", "arm64"),
                                                 ("m6i.large", "x86_64"), ("r6a.4xlarge", "x86_64"), ("t4g.micro", "arm64")])
def test_instance_architecture(instance_type, arch):
    assert instance_architecture(instance_type) == arch
