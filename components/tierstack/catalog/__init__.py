"""Facts about AWS that validation and the offline plan both need, with no Pulumi import."""
