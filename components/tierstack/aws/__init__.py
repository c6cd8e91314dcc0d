"""AWS building blocks shared by the components: IAM policy documents, KMS keys, IRSA roles."""
