"""The names every physical name is built from, budgeted so they fit AWS's limits. Pure.

Every AWS name tierstack creates starts with the platform's name (project and environment) and,
inside a region, the cell's (platform name plus region code, at most 5 characters). The tightest
limits then set the budget: IAM role names (64, of which pulumi-aws's autoname suffix takes 8,
and the longest role suffix tierstack appends, ``-obs-cloudwatch-exporter``, 24) leave 32 for the
cell name, so 26 for the platform name; ElastiCache's 40-character replication group id is the
cell name plus ``-cache``. ``tierstack.deploy.names`` checks the outcome on every plan.
"""

from __future__ import annotations

import hashlib
import re

PLATFORM_NAME_BUDGET = 26
_HASH = 4


def platform_name(project: str, environment: str) -> str:
    """``<project>-<environment>``, the project part shortened (with a hash of it) to fit the budget.

    Lowercased and reduced to letters, digits and single hyphens, starting with a letter (RDS and
    ElastiCache identifiers must), so any Pulumi project name yields valid AWS names. A shortened
    project keeps a hash of its full name, so two long project names never collide.
    """
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", project.lower())).strip("-") or "tierstack"
    if not slug[0].isalpha():
        slug = f"p{slug}"
    room = PLATFORM_NAME_BUDGET - len(environment) - 1
    if len(slug) > room:
        digest = hashlib.sha256(project.encode()).hexdigest()[:_HASH]
        slug = f"{slug[:max(1, room - _HASH - 1)].rstrip('-')}-{digest}"
    return f"{slug}-{environment}"
