"""Faults broken for real: the database restarted, Redis gone, the disk full (issue 15)."""
