"""Policy-as-code: rules as plain functions over a resource's type and (camelCase) properties.

The same rules run in the CrossGuard pack (``policy/``, for ``pulumi preview --policy-pack``)
and offline in ``tierstack plan --policy-gate``. Nothing here imports the Pulumi engine; the
pack adapter lives in ``tierstack_guardrails.pack``.
"""
