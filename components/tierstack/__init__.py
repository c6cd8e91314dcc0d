"""tierstack: Pulumi components for AI-agent services on AWS and Kubernetes, sized by scale tier.

The pure layers (``tierstack.config``, ``tierstack.catalog``, ``tierstack.sizing``) import no
Pulumi resources; the components live in ``tierstack.network``, ``tierstack.cluster`` and
``tierstack.platform`` and are imported from there so that loading the config alone stays fast.
"""

__version__ = "0.1.0"
