"""Benchmark suite: `python -m aegismatrix.benchmarks [--quick]` (speed, scale, skill,
parallelism)."""
