"""The edge web ACL's rules: the seed's rate limits and AWS's managed baseline.

Rate-based rules count over a 60-second window, so each limit is "per minute" as the seed
states it, and answer 429 when they block. Evaluation order: known-bad IPs first (cheapest),
then the rate limits, then the managed rule groups that inspect requests in depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import pulumi_aws as aws

from tierstack.config.edge import EdgeSettings

WINDOW_SECONDS = 60
TOO_MANY_REQUESTS = 429
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
COMMON = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"

waf = aws.wafv2


@dataclass(frozen=True)
class RateLimit:
    """One rate-based rule: its name, limit per minute, and what it counts by."""

    name: str
    limit: int
    # None counts by client IP; otherwise by this request header.
    header: Optional[str] = None
    # Only requests whose path starts with this prefix are counted.
    path_prefix: Optional[str] = None


def rate_limits(settings: EdgeSettings) -> list[RateLimit]:
    limits = settings.rate_limits
    found = [
        RateLimit("rate-per-ip", limits.per_ip),
        RateLimit("rate-per-user", limits.per_user, header=limits.user_header),
    ]
    for prefix in limits.endpoint_paths:
        found.append(RateLimit(f"rate-endpoint-{_slug(prefix)}", limits.per_endpoint, path_prefix=prefix))
    return found


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"


def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return waf.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def _rate_rule(limit: RateLimit, priority: int, metric_prefix: str) -> aws.wafv2.WebAclRuleArgs:
    statement = waf.WebAclRuleStatementRateBasedStatementArgs(
        limit=limit.limit,
        evaluation_window_sec=WINDOW_SECONDS,
        aggregate_key_type="CUSTOM_KEYS" if limit.header else "IP",
        custom_keys=[waf.WebAclRuleStatementRateBasedStatementCustomKeyArgs(
            header=waf.WebAclRuleStatementRateBasedStatementCustomKeyHeaderArgs(
                name=limit.header,
                text_transformations=[waf.WebAclRuleStatementRateBasedStatementCustomKeyHeaderTextTransformationArgs(
                    priority=0, type="NONE")],
            ),
        )] if limit.header else None,
        scope_down_statement=waf.WebAclRuleStatementRateBasedStatementScopeDownStatementArgs(
            byte_match_statement=waf.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementArgs(
                positional_constraint="STARTS_WITH",
                search_string=limit.path_prefix,
                field_to_match=waf.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchArgs(
                    uri_path=waf.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchUriPathArgs(),
                ),
                text_transformations=[
                    waf.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementTextTransformationArgs(
                        priority=0, type="NONE"),
                ],
            ),
        ) if limit.path_prefix else None,
    )
    return waf.WebAclRuleArgs(
        name=limit.name,
        priority=priority,
        action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs(
            custom_response=waf.WebAclRuleActionBlockCustomResponseArgs(response_code=TOO_MANY_REQUESTS))),
        statement=waf.WebAclRuleStatementArgs(rate_based_statement=statement),
        visibility_config=visibility(f"{metric_prefix}-{limit.name}"),
    )


def _managed_rule(group: str, priority: int, metric_prefix: str, count_only: tuple[str, ...] = ()) -> aws.wafv2.WebAclRuleArgs:
    # overrideAction none: the group's own block actions apply (count would only observe).
    return waf.WebAclRuleArgs(
        name=group,
        priority=priority,
        override_action=waf.WebAclRuleOverrideActionArgs(none=waf.WebAclRuleOverrideActionNoneArgs()),
        statement=waf.WebAclRuleStatementArgs(
            managed_rule_group_statement=waf.WebAclRuleStatementManagedRuleGroupStatementArgs(
                vendor_name="AWS",
                name=group,
                rule_action_overrides=[
                    waf.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                        name=rule,
                        action_to_use=waf.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                            count=waf.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()),
                    )
                    for rule in count_only
                ] or None,
            ),
        ),
        visibility_config=visibility(f"{metric_prefix}-{group}"),
    )


def web_acl_rules(settings: EdgeSettings, metric_prefix: str) -> list[aws.wafv2.WebAclRuleArgs]:
    rules = [_managed_rule(IP_REPUTATION, 0, metric_prefix)]
    for limit in rate_limits(settings):
        rules.append(_rate_rule(limit, len(rules), metric_prefix))
    rules.append(_managed_rule(COMMON, len(rules), metric_prefix, tuple(settings.count_only_common_rules)))
    rules.append(_managed_rule(KNOWN_BAD_INPUTS, len(rules), metric_prefix))
    return rules
