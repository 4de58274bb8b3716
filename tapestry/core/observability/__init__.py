"""Observability: request ids in logs and tasks, Prometheus metrics, readiness checks and error
reports. Other apps reach it only through `tapestry.core.api` (the registries)."""
