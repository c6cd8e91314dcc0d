"""Tooling that reads what the program registers: offline plan, manifests, CLI. Never feeds back."""
