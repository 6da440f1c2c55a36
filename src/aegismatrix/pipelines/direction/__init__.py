"""The `direction` pipeline (AegisCore): direction probabilities, the move's size and the market regime."""

from .pipeline import MODEL_NAMESPACES, create_inference_pipeline, create_pipeline

__all__ = ["MODEL_NAMESPACES", "create_inference_pipeline", "create_pipeline"]
