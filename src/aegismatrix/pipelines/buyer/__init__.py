"""The `buyer` pipeline (PulseWave): breakout, spike direction, theta edge, gamma windows."""

from .pipeline import MODEL_NAMESPACES, create_inference_pipeline, create_pipeline

__all__ = ["MODEL_NAMESPACES", "create_inference_pipeline", "create_pipeline"]
