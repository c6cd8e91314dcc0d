"""Labels the rules read and tierstack's components write: a contract between the two.

They live here, not in ``tierstack.config``, so the exported pack needs nothing but this
package; ``tierstack.config.tiers`` names the same values (a test keeps them equal).
"""

ZONAL_LABEL = "tierstack.io/zonal"
"""On an EKS node group pinned to one AZ (one of a pool's zonal groups)."""
