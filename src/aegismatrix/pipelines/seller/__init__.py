"""The `seller` pipeline (RangeShield): volatility, regime, trap, safe ranges with breach
probabilities, max pain."""

from . import pipeline as _pipeline
from .pipeline import create_inference_pipeline, create_pipeline


def __getattr__(name: str):
    """`MODEL_NAMESPACES`: the instances the current parameters declare."""
    return getattr(_pipeline, name)


__all__ = ["MODEL_NAMESPACES", "create_inference_pipeline", "create_pipeline"]  # noqa: F822
