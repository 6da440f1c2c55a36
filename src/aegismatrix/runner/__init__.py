"""Runners beyond Kedro's built-in ones: the Dask runner from Kedro's deployment guide."""

from aegismatrix.runner.dask_runner import DaskRunner

__all__ = ["DaskRunner"]
