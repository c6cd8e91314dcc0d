"""``EdgeSettings``: the validated shape of the global edge (DNS, CloudFront, WAF).

The defaults are the seed's: static content cached for an hour, dynamic content for five
minutes, personalized responses for a minute, API calls not cached; WAF limits of 1,000
requests a minute per client IP, 100 per user and 500 per endpoint.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tierstack.settings_base import LogRetentionDays, UrlPath
from tierstack.settings_base import Settings as _Settings
from tierstack.settings_base import fail as _fail

# A lowercase DNS name with at least two labels ("agents.example.com").
_ZONE_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# CloudFront path patterns: a leading '/', then the characters CloudFront accepts.
_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9_\-.*$/~\"'@:+&;]{0,254}$")
# An HTTP header name (RFC 9110 token).
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_RULE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# ACM rejects a certificate whose primary name is longer than 64 characters; the longest
# name GlobalEdge puts first is "origin.<api host>".
ACM_MAX_PRIMARY_NAME = 64
ORIGIN_LABEL = "origin"
# CloudFront's default quota of cache behaviors per distribution (the default one aside).
MAX_CACHE_BEHAVIORS = 25
# WAF's lowest rate-based limit, and the ceiling it accepts.
WAF_MIN_RATE_LIMIT = 10
WAF_MAX_RATE_LIMIT = 2_000_000_000
ONE_YEAR_SECONDS = 31_536_000
Continent = Literal["AF", "AN", "AS", "EU", "NA", "OC", "SA"]


class CacheClassSettings(_Settings):
    """One class of cacheable content: how long it may be cached and which paths hold it."""

    ttl_seconds: int = Field(ge=1, le=ONE_YEAR_SECONDS)
    paths: list[str] = Field(min_length=1, max_length=MAX_CACHE_BEHAVIORS)

    @field_validator("paths")
    @classmethod
    def _path_patterns(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not _PATH_PATTERN.match(path):
                raise _fail(
                    f"'{path}' is not a CloudFront path pattern.",
                    "start with '/' and use letters, digits, '-', '_', '.', '/' and '*' (e.g. '/static/*').",
                )
        if len(set(paths)) != len(paths):
            raise _fail("a path pattern is listed twice.", "list each path pattern once.")
        return paths


class CachingSettings(_Settings):
    # Served from cache only for GET/HEAD/OPTIONS: these behaviors fail over between regions
    # through an origin group, and CloudFront forbids writes on a behavior with an origin group.
    static: CacheClassSettings = Field(
        default_factory=lambda: CacheClassSettings(ttl_seconds=3600, paths=["/static/*", "/assets/*"]))
    dynamic: CacheClassSettings = Field(
        default_factory=lambda: CacheClassSettings(ttl_seconds=300, paths=["/content/*"]))
    # Cached per caller: the Authorization and user headers are part of the cache key.
    personalized: CacheClassSettings = Field(
        default_factory=lambda: CacheClassSettings(ttl_seconds=60, paths=["/me/*"]))

    @model_validator(mode="after")
    def _distinct_paths(self) -> "CachingSettings":
        seen: dict[str, str] = {}
        for name in ("static", "dynamic", "personalized"):
            for path in getattr(self, name).paths:
                if path in seen:
                    raise _fail(
                        f"path pattern '{path}' is in both {seen[path]}.paths and {name}.paths.",
                        "give each path pattern to one cache class.",
                    )
                seen[path] = name
        if len(seen) > MAX_CACHE_BEHAVIORS:
            raise _fail(
                f"{len(seen)} path patterns exceed CloudFront's {MAX_CACHE_BEHAVIORS} cache behaviors per distribution.",
                "merge patterns with wildcards, or raise the CloudFront quota first.",
            )
        return self


class RateLimitSettings(_Settings):
    """WAF rate limits, each counted over a 60-second window so they read as per minute."""

    per_ip: int = Field(1000, ge=WAF_MIN_RATE_LIMIT, le=WAF_MAX_RATE_LIMIT)
    per_user: int = Field(100, ge=WAF_MIN_RATE_LIMIT, le=WAF_MAX_RATE_LIMIT)
    # The request header that names the caller; requests without it fall under per_ip only.
    user_header: str = "x-user-id"
    per_endpoint: int = Field(500, ge=WAF_MIN_RATE_LIMIT, le=WAF_MAX_RATE_LIMIT)
    # Path prefixes limited per client IP, each on its own (one WAF rule per prefix).
    endpoint_paths: list[UrlPath] = Field(default_factory=lambda: ["/auth"], max_length=10)

    @field_validator("user_header")
    @classmethod
    def _header_name(cls, header: str) -> str:
        if not _HEADER_NAME.match(header):
            raise _fail(f"'{header}' is not an HTTP header name.", "use a token such as 'x-user-id' (letters, digits, '-').")
        if header.lower() in ("authorization", "host", "cookie"):
            raise _fail(f"'{header}' cannot key the per-user limit.", "name a header that carries only the user id, such as 'x-user-id'.")
        return header.lower()  # WAF matches header names case-insensitively; keep one spelling

    @field_validator("endpoint_paths")
    @classmethod
    def _unique_prefixes(cls, paths: list[str]) -> list[str]:
        if len(set(paths)) != len(paths):
            raise _fail("an endpoint path is listed twice.", "list each path prefix once.")
        if "/" in paths:
            raise _fail("'/' matches every request, which per_ip already limits.", "list endpoint prefixes such as '/auth'.")
        return paths


class EdgeSettings(_Settings):
    # The public API answers at <apiSubdomain>.<zoneName> (declared first: zoneName's check
    # of the full name's length reads it).
    api_subdomain: str = "api"
    # An existing public Route 53 hosted zone; GlobalEdge requires it.
    zone_name: Optional[str] = None
    # How origin.<api host> picks a region: lowest latency, or the caller's continent.
    routing: Literal["latency", "geolocation"] = "latency"
    # Continent each region serves under geolocation routing; unset regions use their own.
    geolocation_continents: dict[str, Continent] = Field(default_factory=dict)
    caching: CachingSettings = Field(default_factory=CachingSettings)
    # Off by default: API responses are per caller and change on every call.
    cache_api_responses: bool = False
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Common rule set rules that only count: SizeRestrictions_BODY blocks bodies over 8 KB,
    # which long agent prompts exceed.
    count_only_common_rules: list[str] = Field(default_factory=lambda: ["SizeRestrictions_BODY"])
    price_class: Literal["PriceClass_All", "PriceClass_200", "PriceClass_100"] = "PriceClass_All"
    log_retention_days: LogRetentionDays = 90
    health_check_path: UrlPath = "/healthz"
    health_check_interval_seconds: Literal[10, 30] = 30
    health_check_failure_threshold: int = Field(3, ge=1, le=10)
    # Agent responses stream for a while; above 60 s CloudFront needs a quota increase.
    origin_read_timeout_seconds: int = Field(60, ge=1, le=180)

    @field_validator("api_subdomain")
    @classmethod
    def _subdomain(cls, label: str) -> str:
        if not _SUBDOMAIN.match(label):
            raise _fail(f"'{label}' is not a DNS label.", "use lowercase letters, digits and '-', e.g. 'api'.")
        return label

    @field_validator("zone_name")
    @classmethod
    def _zone(cls, zone: Optional[str], info: ValidationInfo) -> Optional[str]:
        if zone is None:
            return zone
        zone = zone.rstrip(".")
        if not _ZONE_NAME.match(zone):
            raise _fail(f"'{zone}' is not a DNS zone name.", "use the lowercase name of a public hosted zone, e.g. 'agents.example.com'.")
        longest = f"{ORIGIN_LABEL}.{info.data.get('api_subdomain', 'api')}.{zone}"
        if len(longest) > ACM_MAX_PRIMARY_NAME:
            raise _fail(
                f"'{longest}' (from apiSubdomain and zoneName) is longer than the {ACM_MAX_PRIMARY_NAME} "
                "characters ACM allows for a certificate's primary name.",
                "use a shorter zoneName or apiSubdomain.",
            )
        return zone

    @field_validator("geolocation_continents")
    @classmethod
    def _one_region_per_continent(cls, continents: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for region, continent in continents.items():
            if continent in seen:
                raise _fail(
                    f"continent {continent} is given to both {seen[continent]} and {region}.",
                    "give each continent to one region; the rest fall back to the home region.",
                )
            seen[continent] = region
        return continents

    @field_validator("count_only_common_rules")
    @classmethod
    def _rule_names(cls, names: list[str]) -> list[str]:
        for rule_name in names:
            if not _RULE_NAME.match(rule_name):
                raise _fail(f"'{rule_name}' is not a WAF managed rule name.", "use a rule name such as 'SizeRestrictions_BODY'.")
        return names

    @property
    def api_host(self) -> Optional[str]:
        return f"{self.api_subdomain}.{self.zone_name}" if self.zone_name else None
