"""The `backtest` pipeline (issue 22): strangles and condors at traded NSE premiums where a chain
has them."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
