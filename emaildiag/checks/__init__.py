"""Checks: ``probe_*`` functions do I/O and return facts; ``assess_*`` are pure."""
