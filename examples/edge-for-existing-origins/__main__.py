"""tierstack's global edge in front of regional load balancers your team already runs.

Each origin is a region and its load balancer's DNS name. EdgeOrigins issues each region's origin
certificate and the secret header CloudFront sends: attach the certificate to your load balancer's
HTTPS listener and require the header there (see the README, "Regions and the global edge").
"""

import pulumi
import pulumi_aws as aws

from tierstack.catalog.aws import region_code
from tierstack.edge import GlobalEdge, GlobalEdgeArgs, RegionalOrigin
from tierstack.edge.origins import EdgeOrigins, EdgeOriginsArgs
from tierstack.presets import preset_settings

config = pulumi.Config("agents")
load_balancers: dict = config.require_object("loadBalancers")  # region -> load balancer DNS name
settings = preset_settings("growth", "edge").model_copy(update={"zone_name": config.require("zoneName")})
edge_provider = aws.Provider("edge-us-east-1", region="us-east-1")
regional = {region: aws.Provider(f"origin-{region_code(region)}", region=region) for region in load_balancers}

origins = EdgeOrigins("agents-origins", EdgeOriginsArgs(
    api_host=settings.api_host, zone_name=settings.zone_name, regions=list(load_balancers),
    dns_provider=edge_provider, regional_providers=regional))
edge = GlobalEdge("agents-edge", GlobalEdgeArgs(
    settings=settings, name_prefix="agents-edge",
    origins=[RegionalOrigin(region, hostname) for region, hostname in load_balancers.items()],
    edge_provider=edge_provider, regional_providers=regional,
    verify_header=origins.verify_header, verify_value=origins.verify_value,
))
pulumi.export("apiHostname", edge.api_hostname)
pulumi.export("originCertificateArns", origins.certificate_arns)
