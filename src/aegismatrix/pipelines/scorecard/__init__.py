"""The `scorecard` pipeline: matured ledger rows scored against realised market data -> `scorecard`
(JSON)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
