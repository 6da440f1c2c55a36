"""The `backfill` pipeline: the engines' causal per-date predictions from frozen models -> ledger
rows (`backfill`)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
