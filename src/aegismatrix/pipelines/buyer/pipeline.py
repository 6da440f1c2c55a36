"""Wiring only; the nodes live in nodes.py. Four template instances plus the engine's own nodes."""

from kedro.pipeline import Node, Pipeline

from aegismatrix.modelling.template import model_pipeline, template_inputs

from . import nodes

MODELS = ["breakout", "spike", "theta", "breakout_pooled"]
POOLED = {"breakout_pooled"}  # trained on the universe panel's other symbols too (modelling/pooling.py)
# NIFTY-only first: it serves its baseline if none has edge
BREAKOUT_CANDIDATES = ["breakout", "breakout_pooled"]
MODEL_NAMESPACES: list[str] = [f"buyer.{name}" for name in MODELS]


def _engine_nodes() -> list[Node]:
    """The nodes shared by training and inference: signal assembly and gamma windows."""
    return [
        Node(nodes.assemble_buyer_signals,
             {"params": "params:buyer.signals", **template_inputs("buyer", MODELS, ("predictions",)),
              **template_inputs("buyer", BREAKOUT_CANDIDATES, ("metrics",))},
             "buyer_signals", name="assemble_buyer_signals"),
        Node(nodes.find_gamma_windows, ["market_intraday", "params:buyer.gamma_windows"], "gamma_windows",
             name="find_gamma_windows"),
    ]


def _models(mode: str) -> Pipeline:
    return sum((model_pipeline(f"buyer.{m}", "buyer", mode=mode, pooled=m in POOLED) for m in MODELS),
               Pipeline([]))


def create_pipeline(**kwargs) -> Pipeline:
    """Training: walk-forward evaluation, frozen models, SHAP, out-of-sample signal history, summary."""
    models = _models("train")
    summary = Node(nodes.summarise_buyer_metrics, template_inputs("buyer", MODELS, ("metrics", "model")),
                   "buyer_metrics_summary", name="summarise_buyer_metrics")
    return models + Pipeline([*_engine_nodes(), summary])


def create_inference_pipeline(**kwargs) -> Pipeline:
    """Inference: the same instances predicting from frozen models, then the same assembly."""
    models = _models("inference")
    return models + Pipeline(_engine_nodes())
