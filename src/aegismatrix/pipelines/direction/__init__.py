"""The `direction` pipeline (AegisCore): direction probabilities, the move's size, the market
regime."""

from . import pipeline as _pipeline
from .pipeline import create_inference_pipeline, create_pipeline, create_research_pipeline


def __getattr__(name: str):
    """`MODEL_NAMESPACES`, `RESEARCH_NAMESPACES`: the instances the current parameters declare."""
    return getattr(_pipeline, name)


__all__ = ["MODEL_NAMESPACES", "RESEARCH_NAMESPACES", "create_inference_pipeline",  # noqa: F822
           "create_pipeline", "create_research_pipeline"]
