"""The `direction` pipeline (AegisCore): direction probabilities, the move's size and the market regime."""

from .pipeline import (
    MODEL_NAMESPACES,
    RESEARCH_NAMESPACES,
    create_inference_pipeline,
    create_pipeline,
    create_research_pipeline,
)

__all__ = ["MODEL_NAMESPACES", "RESEARCH_NAMESPACES", "create_inference_pipeline", "create_pipeline",
           "create_research_pipeline"]
