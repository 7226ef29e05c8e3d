"""Per-week exercise checks (each prints friendly feedback and records a pass/fail; none raises)."""
