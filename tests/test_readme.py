"""The README's promises, checked: its import example runs and its commands are what CI runs."""

import re

from conftest import ROOT, children_of, record

README = (ROOT / "README.md").read_text()


def test_import_example_builds_a_network_and_cluster():
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "KubernetesCluster(" in block]
    resources = record(lambda: exec(compile(example, "README.md", "exec"), {}))
    (cluster,) = children_of(resources, "aws:eks/cluster:Cluster")
    assert cluster.inputs["name"] == "agents-euw1"
    assert len(cluster.inputs["vpcConfig"]["subnetIds"]) == 3
    assert children_of(resources, "aws:eks/nodeGroup:NodeGroup")[0].inputs["instanceTypes"] == ["m6i.xlarge"]


def test_existing_cluster_example_runs_the_services_on_it():
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "ClusterContext(" in block]

    def program():
        from tierstack.presets import preset_settings
        from tierstack.services import AgentServices, AgentServicesArgs, ControllerInstalls

        names: dict = {}
        exec(compile(example, "README.md", "exec"), names)
        AgentServices("team", AgentServicesArgs(
            settings=preset_settings("growth", "services"), cluster=names["existing"],
            load_balancer_cidrs=["10.0.0.0/22"], controllers=ControllerInstalls(keda=False, prometheus_adapter=False)))

    resources = record(program)
    (controller,) = children_of(resources, "kubernetes:helm.sh/v3:Release")
    assert controller.inputs["values"]["vpcId"] == "vpc-0a1b2c3d"
    assert controller.inputs["values"]["clusterName"] == "platform-euw1"
    assert children_of(resources, "kubernetes:apps/v1:Deployment")


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", README)
    assert len(commands) == 2 and "tierstack plan --stack dev" in commands[0] and commands[1].endswith("pytest")
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
