"""The edge's cache classes: which paths CloudFront caches, for how long, and keyed on what.

Each class becomes one CloudFront cache policy. TTLs are min 0 / default T / max T: an
origin may shorten caching (``Cache-Control: no-store``) but never stretch it past the seed's
figure. The API default is the exception: not cached at all, or, when the stack allows it,
cached only as long as the origin's ``Cache-Control`` asks, capped at the dynamic TTL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from tierstack.config.edge import EdgeSettings

AUTHORIZATION = "Authorization"


@dataclass(frozen=True)
class CacheClass:
    name: str
    paths: tuple[str, ...]
    min_ttl: int
    default_ttl: int
    max_ttl: int
    # Request headers in the cache key: forwarded to the origin, one cached copy per value.
    key_headers: tuple[str, ...] = ()
    # Cookies in the key too: a personal response must never be served to another caller.
    key_cookies: bool = False

    @property
    def cached(self) -> bool:
        return self.max_ttl > 0


def _caller_key(settings: EdgeSettings) -> tuple[str, ...]:
    return (AUTHORIZATION, settings.rate_limits.user_header)


def cache_classes(settings: EdgeSettings) -> tuple[CacheClass, ...]:
    """The path classes, most personal first: CloudFront uses the first behavior that matches."""
    caching = settings.caching

    def capped(name, block, **key) -> CacheClass:
        return CacheClass(name, tuple(block.paths), 0, block.ttl_seconds, block.ttl_seconds, **key)

    return (
        capped("personalized", caching.personalized, key_headers=_caller_key(settings), key_cookies=True),
        capped("dynamic", caching.dynamic),
        capped("static", caching.static),
    )


def api_class(settings: EdgeSettings) -> CacheClass:
    """The default behavior (everything no path class matches): the API itself.

    Uncached, GlobalEdge uses CloudFront's managed CachingDisabled policy: with caching off,
    the AllViewerExceptHostHeader origin request policy may forward Authorization.
    """
    if not settings.cache_api_responses:
        return CacheClass("api", (), 0, 0, 0)
    return CacheClass("api", (), 0, 0, settings.caching.dynamic.ttl_seconds,
                      key_headers=_caller_key(settings), key_cookies=True)


def cache_key(cache_class: CacheClass) -> aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs:
    """The cache key of a class. CloudFront rejects a key on a policy whose TTLs are all 0."""
    cached = cache_class.cached
    headers = cache_class.key_headers if cached else ()
    cookies = cache_class.key_cookies and cached
    cf = aws.cloudfront
    return cf.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
        headers_config=cf.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
            header_behavior="whitelist" if headers else "none",
            headers=cf.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs(
                items=list(headers)) if headers else None,
        ),
        cookies_config=cf.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
            cookie_behavior="all" if cookies else "none"),
        # Query strings select content (?page=2, ?v=hash), so they are always in the key.
        query_strings_config=cf.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
            query_string_behavior="all" if cached else "none"),
        enable_accept_encoding_gzip=cached,
        enable_accept_encoding_brotli=cached,
    )
