"""Releases: one training run's model versions published together; every run pins what it reads
(docs/releases.md)."""
