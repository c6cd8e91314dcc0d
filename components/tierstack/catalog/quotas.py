"""Per-region service quotas a stack uses, and the defaults a new AWS account starts with.

A quota is counted per account and region, across every stack in that account, so a stack that
fits the tier's shape can still stop half-way through ``pulumi up`` when RDS refuses the 41st
instance. ``tierstack.config.demand`` counts what a stack will hold in each region at its ceiling
(autoscaling included); the config rules compare it with ``tierstack:quotas`` before anything is
created. Pure data: no Pulumi, no AWS calls (the account's real quotas are the user's to set).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceQuota:
    service: str  # the Service Quotas service code
    code: str
    name: str  # as the Service Quotas console names it
    default: int  # what a new account gets
    unit: str  # what the stack consumes, for messages


# Keys are the camelCase fields of ``tierstack:quotas``. Codes and defaults: AWS Service Quotas
# console names; defaults from the service's "endpoints and quotas" pages of the AWS General
# Reference (https://docs.aws.amazon.com/general/latest/gr/aws-general.pdf, sections rds, vpc,
# ec2, eks, elasticache) and, for elasticacheNodesPerCluster, the ElastiCache User Guide's
# "Working with shards" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Shards.html).
# Consulted 2026-11-30; the codes are the ones Service Quotas' GetServiceQuota takes.
SERVICE_QUOTAS: dict[str, ServiceQuota] = {
    "rdsDbInstances": ServiceQuota("rds", "L-7B6409FD", "DB instances", 40, "Aurora DB instances"),
    "rdsDbClusters": ServiceQuota("rds", "L-952B80B8", "DB clusters", 40, "Aurora DB clusters"),
    "elasticacheNodes": ServiceQuota("elasticache", "L-DFE45DF3", "Nodes per Region", 300, "ElastiCache nodes"),
    "elasticacheNodesPerCluster": ServiceQuota(
        "elasticache", "L-AF354865", "Nodes per cluster (cluster mode enabled)", 90, "nodes in the cache cluster"),
    "vpcs": ServiceQuota("vpc", "L-F678F1CE", "VPCs per Region", 5, "VPCs"),
    "elasticIps": ServiceQuota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5, "Elastic IPs"),
    "natGatewaysPerAz": ServiceQuota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5, "NAT gateways per AZ"),
    "eksClusters": ServiceQuota("eks", "L-1194D53C", "Clusters", 100, "EKS clusters"),
}
