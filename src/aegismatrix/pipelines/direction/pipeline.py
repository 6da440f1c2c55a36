"""Wiring only; the nodes live in nodes.py and every model is an instance of the shared template.

Which instances exist is YAML, read through the engine's declaration
(aegismatrix/engines/direction.py): the served horizons `direction.horizons`, their members
generated from `direction.families`, the other model blocks (regime, gap) and the research-only
members `direction.research` (conf/base/parameters_direction.yml).
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from aegismatrix.engines import direction as declared
from aegismatrix.engines import model_namespaces
from aegismatrix.engines.structure import engine_section
from aegismatrix.modelling.template import instances_pipeline, model_pipeline

from . import nodes

RECORDS = {"records": "direction_records", "params": "params:direction"}


def _section(params: dict | None) -> dict:
    return engine_section("direction", params)


def __getattr__(name: str):
    """`MODEL_NAMESPACES`, `RESEARCH_NAMESPACES` and `LAYOUT` of the current project's parameters
    (read on each access, so a new YAML block shows)."""
    if name == "MODEL_NAMESPACES":
        return model_namespaces("direction", research=False)
    if name == "RESEARCH_NAMESPACES":
        return [i.namespace for i in declared.research(_section(None))]
    if name == "LAYOUT":
        return declared.layout(_section(None))
    raise AttributeError(name)


def _assembly() -> Node:
    return Node(nodes.assemble_direction_signals,
                {"direction_ensemble": "direction_ensemble", "market_daily": "market_daily",
                 **RECORDS},
                "direction_signals", name="assemble_direction_signals")


def _models(mode: str, section: dict) -> Pipeline:
    return instances_pipeline("direction", declared.instances(section), mode)


def create_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Training: every template instance, the stacked ensemble, the signal history and the
    summaries."""
    return _models("train", _section(params)) + Pipeline([
        Node(nodes.fit_direction_ensemble, RECORDS, "direction_ensemble",
             name="fit_direction_ensemble"),
        _assembly(),
        Node(nodes.summarise_direction_metrics,
             {"direction_ensemble": "direction_ensemble", **RECORDS},
             "direction_metrics_summary", name="summarise_direction_metrics"),
        Node(nodes.train_universe_direction, ["universe_features", "params:direction"],
             "direction_universe_metrics", name="train_universe_direction"),
    ])


def create_research_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Research-only template instances (`direction.research`), added to the training run by
    `--pipeline=research`."""
    return sum((model_pipeline(i.namespace, i.feature_set, mode="train", pooled=i.pooled)
                for i in declared.research(_section(params))), Pipeline([]))


def create_inference_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Inference: the frozen template instances and the same assembly node, from the frozen
    ensemble."""
    return _models("inference", _section(params)) + Pipeline([_assembly()])
