"""The `research` pipeline's own part: every engine's research-only template instances (e.g. the
BiLSTM at every direction horizon). The registry puts the whole training run in front of it
(`pipeline_registry.UPSTREAM`), so `kedro run --env research --pipeline=research` is the default run
plus these instances (conf/research/README.md)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
