"""Orders and their living Order Summaries: pure domain, no I/O (DESIGN.md's vocabulary)."""
