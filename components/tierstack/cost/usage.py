"""The usage profile: the traffic a stack is priced for, derived from its tier's expected users.

A tier is sized for a number of concurrent users (``CONCURRENT_USERS``); the profile turns that
into daily users, requests, bytes, queue messages and log volumes with the per-user rates of
``UsageSettings`` (``tierstack:usage``). Everything that depends on how the stack is used, and
only that, is here, so the pricing functions stay a matter of quantity times unit price.

Traffic splits evenly over the stack's regions (geographic routing to the nearest region gives
each region its neighbourhood's users; without per-region user counts, an even split is the
assumption that is easiest to correct).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from tierstack.config.tiers import CONCURRENT_USERS, Tier
from tierstack.config.usage import UsageSettings

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig

# AWS prices hourly resources per hour and monthly ones per month of 730 hours (365 x 24 / 12),
# the month AWS's own pricing pages and calculator use.
HOURS_PER_MONTH = 730
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
# Decimal units throughout: 1 KB = 1,000 bytes, 1 GB = 10^9 bytes (slightly more GB than
# binary units, so the estimate errs high).
KB = 1_000
MB = 1_000_000
GB = 1_000_000_000
# Each queued request is one SendMessage, one ReceiveMessage and one DeleteMessage, each a
# billed SQS request per 64 KB chunk (Amazon SQS pricing: "each 64 KB chunk of a payload is
# billed as 1 request"); payloads here are far below 64 KB.
SQS_REQUESTS_PER_MESSAGE = 3
# CloudWatch Logs bills archived storage per GB compressed (CloudWatch pricing, "Store (Archival)");
# JSON and text logs compress to roughly a sixth.
LOG_STORAGE_COMPRESSION = 0.15


@dataclass(frozen=True)
class Assumption:
    """One number the estimate rests on, and where it came from."""

    key: str
    value: float | str
    unit: str
    source: str  # "tierstack:usage", "tier default (scale)", "fixed", ...

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "value": self.value, "unit": self.unit, "source": self.source}


@dataclass(frozen=True)
class UsageProfile:
    tier: str
    regions: int
    concurrent_users: int
    settings: UsageSettings
    concurrent_users_source: str

    # -- traffic -----------------------------------------------------------------------------
    @property
    def daily_users(self) -> float:
        return self.concurrent_users * self.settings.daily_users_per_concurrent_user

    @property
    def requests_per_month(self) -> float:
        return self.daily_users * self.settings.requests_per_user_per_day * DAYS_PER_MONTH

    @property
    def requests_per_region_month(self) -> float:
        return self.requests_per_month / self.regions

    @property
    def average_requests_per_second(self) -> float:
        return self.requests_per_month / SECONDS_PER_MONTH

    @property
    def peak_requests_per_second(self) -> float:
        return self.average_requests_per_second * self.settings.peak_to_average

    # -- edge and load balancers -------------------------------------------------------------
    @property
    def cdn_egress_gb_per_month(self) -> float:
        """Bytes CloudFront sends to viewers: every response, cached or not."""
        return self.requests_per_month * self.settings.response_kb * KB / GB

    @property
    def origin_requests_per_region_month(self) -> float:
        """Requests CloudFront forwards to a region's load balancer (its cache misses)."""
        return self.requests_per_region_month * (1 - self.settings.cdn_hit_ratio)

    @property
    def origin_gb_per_region_month(self) -> float:
        """Bytes a region's load balancers process: requests in and responses out of the misses."""
        size = (self.settings.request_kb + self.settings.response_kb) * KB
        return self.origin_requests_per_region_month * size / GB

    # -- network, queue, database ------------------------------------------------------------
    @property
    def nat_gb_per_region_month(self) -> float:
        return self.requests_per_region_month * self.settings.nat_kb_per_request * KB / GB

    @property
    def queue_requests_per_region_month(self) -> float:
        return self.requests_per_region_month * self.settings.async_share * SQS_REQUESTS_PER_MESSAGE

    @property
    def database_gb(self) -> float:
        """Data of every daily user, across all shards of all regions."""
        return self.daily_users * self.settings.database_mb_per_user * MB / GB

    @property
    def database_ios_per_region_month(self) -> float:
        return self.requests_per_region_month * self.settings.database_ios_per_request

    def backup_gb(self, cluster_gb: float, retention_days: float) -> float:
        """Backup storage Aurora bills: what the retention window holds beyond one free copy of the volume.

        Aurora does not charge for backup storage up to 100% of the cluster's volume in the Region
        (Aurora pricing, "Backup storage"); a window of N days holds about N daily changes.
        """
        held = cluster_gb * self.settings.database_daily_change_percent / 100 * retention_days
        return max(0.0, held - cluster_gb)

    # -- logs --------------------------------------------------------------------------------
    @property
    def flow_log_gb_per_region_month(self) -> float:
        return self.requests_per_region_month * self.settings.flow_log_bytes_per_request / GB

    @property
    def waf_log_gb_per_month(self) -> float:
        return self.requests_per_month * self.settings.waf_log_bytes_per_request / GB

    @property
    def access_log_gb_per_month(self) -> float:
        return self.requests_per_month * self.settings.access_log_bytes_per_request / GB

    def control_plane_log_gb(self, log_types: list[str]) -> float:
        return sum(self.settings.control_plane_log_gb.gb(t) for t in log_types)

    # -- reporting ---------------------------------------------------------------------------
    def assumptions(self) -> list[Assumption]:
        s = self.settings
        given = s.model_fields_set
        def source(field: str) -> str:
            return "tierstack:usage" if field in given else "default"

        return [
            Assumption("concurrentUsers", self.concurrent_users, "users at peak", self.concurrent_users_source),
            Assumption("dailyUsersPerConcurrentUser", s.daily_users_per_concurrent_user, "daily users per peak seat",
                       source("daily_users_per_concurrent_user")),
            Assumption("dailyUsers", round(self.daily_users), "users a day", "derived"),
            Assumption("requestsPerUserPerDay", s.requests_per_user_per_day, "requests", source("requests_per_user_per_day")),
            Assumption("requestsPerMonth", round(self.requests_per_month), "requests", "derived"),
            Assumption("regionsSplit", self.regions, "regions sharing traffic evenly", "fixed"),
            Assumption("peakToAverage", s.peak_to_average, "x", source("peak_to_average")),
            Assumption("averageRequestsPerSecond", round(self.average_requests_per_second, 2), "req/s", "derived"),
            Assumption("peakRequestsPerSecond", round(self.peak_requests_per_second, 2), "req/s", "derived"),
            Assumption("requestKB", s.request_kb, "KB", source("request_kb")),
            Assumption("responseKB", s.response_kb, "KB", source("response_kb")),
            Assumption("cdnHitRatio", s.cdn_hit_ratio, "share", source("cdn_hit_ratio")),
            Assumption("asyncShare", s.async_share, "share of requests queued", source("async_share")),
            Assumption("natKBPerRequest", s.nat_kb_per_request, "KB", source("nat_kb_per_request")),
            Assumption("databaseMBPerUser", s.database_mb_per_user, "MB per daily user", source("database_mb_per_user")),
            Assumption("databaseGB", round(self.database_gb, 1), "GB across all shards", "derived"),
            Assumption("databaseIosPerRequest", s.database_ios_per_request, "I/Os", source("database_ios_per_request")),
            Assumption("databaseDailyChangePercent", s.database_daily_change_percent, "%",
                       source("database_daily_change_percent")),
            Assumption("controlPlaneLogGB", ", ".join(f"{k} {v:g}" for k, v in
                                                      s.control_plane_log_gb.model_dump(by_alias=True).items()),
                       "GB/month per cluster and log type", source("control_plane_log_gb")),
            Assumption("flowLogBytesPerRequest", s.flow_log_bytes_per_request, "bytes", source("flow_log_bytes_per_request")),
            Assumption("wafLogBytesPerRequest", s.waf_log_bytes_per_request, "bytes", source("waf_log_bytes_per_request")),
            Assumption("databaseLogGBPerCluster", s.database_log_gb_per_cluster, "GB/month",
                       source("database_log_gb_per_cluster")),
            Assumption("accessLogBytesPerRequest", s.access_log_bytes_per_request, "bytes (gzip)",
                       source("access_log_bytes_per_request")),
            Assumption("hoursPerMonth", HOURS_PER_MONTH, "hours", "fixed (AWS pricing convention)"),
            Assumption("units", "1 KB = 1,000 bytes, 1 GB = 10^9 bytes", "", "fixed"),
            Assumption("logStorageCompression", LOG_STORAGE_COMPRESSION, "stored/ingested", "fixed"),
            Assumption("sqsRequestsPerMessage", SQS_REQUESTS_PER_MESSAGE, "send, receive, delete", "fixed"),
        ]


def usage_profile(tier: Tier | str, settings: Optional[UsageSettings] = None, *, regions: int = 1) -> UsageProfile:
    """The profile of a stack at ``tier`` over ``regions`` regions, with ``tierstack:usage`` applied."""
    tier = Tier(tier)
    settings = settings or UsageSettings()
    if settings.concurrent_users is not None:
        users, source = settings.concurrent_users, "tierstack:usage"
    else:
        users, source = CONCURRENT_USERS[tier], f"tier default ({tier.value})"
    return UsageProfile(tier=tier.value, regions=max(1, regions), concurrent_users=users, settings=settings,
                        concurrent_users_source=source)


def stack_usage_profile(config: "StackConfig") -> UsageProfile:
    """The profile a stack's config implies: its tier, its tierstack:usage, traffic over its regions."""
    return usage_profile(config.tier, config.usage, regions=len(config.regions))
