"""tierstack's data tier (CacheTier and ShardedDatabase) placed in a VPC your team already runs.

Config (see Pulumi.example.yaml): the VPC, one data subnet per AZ, their AZ names, the security
group of the workloads that connect, and the tier whose sizing to start from.
"""

import pulumi

from tierstack.data import CacheTier, CacheTierArgs, Placement, ShardedDatabase, ShardedDatabaseArgs
from tierstack.presets import preset_settings
from tierstack.tagging import tagged

config = pulumi.Config("agents")
tier = config.get("tier") or "growth"
region = pulumi.Config("aws").require("region")
placement = Placement(
    vpc_id=config.require("vpcId"),
    subnet_ids=config.require_object("dataSubnetIds"),
    availability_zones=config.require_object("availabilityZones"),
    client_security_group_ids=config.require_object("clientSecurityGroupIds"),
)
tags = {"Team": "agents", "Environment": pulumi.get_stack()}

cache = CacheTier("agents-cache", CacheTierArgs(
    settings=preset_settings(tier, "cache"), placement=placement), opts=tagged(tags))
database = ShardedDatabase("agents-db", ShardedDatabaseArgs(
    settings=preset_settings(tier, "database"), region=region, placement=placement), opts=tagged(tags))

pulumi.export("cacheEndpoint", cache.endpoint)
pulumi.export("shardWriters", [shard.cluster.endpoint for shard in database.shards])
