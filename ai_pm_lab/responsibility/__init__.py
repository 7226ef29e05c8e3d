"""Responsible AI in practice: a bias audit, PII redaction before hosted calls, and the launch-readiness checklist."""
