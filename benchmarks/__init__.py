"""Benchmarks: `python -m benchmarks [name ...]` prints speed and quality figures measured side by side in one run."""
