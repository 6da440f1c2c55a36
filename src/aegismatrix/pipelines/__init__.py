"""The project's pipelines, one package each (found by `find_pipelines`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline


def modular(pipe: Pipeline, namespace: str) -> Pipeline:
    """`pipe` as the modular pipeline `namespace`, one expandable box in kedro-viz: its top-level
    nodes move into the namespace while every dataset and parameter keeps its name; nodes already in
    a model's namespace (`direction.xgb_h1`) keep it, so an engine's models stay boxes of their own.
    """
    loose = [n for n in pipe.nodes if not n.namespace]
    placed = Pipeline([n for n in pipe.nodes if n.namespace])
    if not loose:
        return placed
    return Pipeline(loose, namespace=namespace, prefix_datasets_with_namespace=False) + placed
