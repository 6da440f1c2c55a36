"""AegisMatrix: calibrated, explainable daily signals for index-options traders."""

__version__ = "0.1.0"
