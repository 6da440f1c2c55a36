"""The `seller` pipeline (RangeShield): volatility, regime, trap, safe ranges with breach probabilities, max
pain."""

from .pipeline import MODEL_NAMESPACES, create_inference_pipeline, create_pipeline

__all__ = ["MODEL_NAMESPACES", "create_inference_pipeline", "create_pipeline"]
