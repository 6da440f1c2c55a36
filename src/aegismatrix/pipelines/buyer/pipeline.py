"""Wiring only; the nodes live in nodes.py. The buyer's template instances plus the engine's own
nodes.

The instances are the model blocks of conf/base/parameters_buyer.yml (aegismatrix/engines/buyer.py);
the breakout candidates are `buyer.signals.breakout_candidates` there.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from aegismatrix.engines import buyer as declared
from aegismatrix.engines import model_namespaces
from aegismatrix.engines.structure import engine_section
from aegismatrix.modelling.template import instances_pipeline

from . import nodes


def _section(params: dict | None) -> dict:
    return engine_section("buyer", params)


def __getattr__(name: str):
    """`MODEL_NAMESPACES` of the current project's parameters (read on each access)."""
    if name == "MODEL_NAMESPACES":
        return model_namespaces("buyer", research=False)
    raise AttributeError(name)


def _engine_nodes() -> list[Node]:
    """The nodes shared by training and inference: signal assembly and gamma windows."""
    return [
        Node(nodes.assemble_buyer_signals,
             {"records": "buyer_records", "params": "params:buyer.signals"},
             "buyer_signals", name="assemble_buyer_signals"),
        Node(nodes.find_gamma_windows, ["market_intraday", "params:buyer.gamma_windows"],
             "gamma_windows",
             name="find_gamma_windows"),
    ]


def _models(mode: str, section: dict) -> Pipeline:
    return instances_pipeline("buyer", declared.instances(section), mode)


def create_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Training: walk-forward evaluation, frozen models, SHAP, out-of-sample signal history,
    summary."""
    summary = Node(nodes.summarise_buyer_metrics, "buyer_records", "buyer_metrics_summary",
                   name="summarise_buyer_metrics")
    return _models("train", _section(params)) + Pipeline([*_engine_nodes(), summary])


def create_inference_pipeline(params: dict | None = None, **kwargs) -> Pipeline:
    """Inference: the same instances predicting from frozen models, then the same assembly."""
    return _models("inference", _section(params)) + Pipeline(_engine_nodes())
