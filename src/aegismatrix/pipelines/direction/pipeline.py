"""Wiring only; the nodes live in nodes.py and every model is an instance of the shared template.

Horizons and which of them also get a BiLSTM / an MLP candidate are fixed here (the namespaces are part of
the pipeline's structure); each namespace needs its parameter block in conf/base/parameters_direction.yml.
"""

from __future__ import annotations

import functools

from kedro.pipeline import Node, Pipeline

from aegismatrix.modelling.template import model_pipeline, template_inputs

from . import nodes

HORIZONS = (1, 2, 3, 5, 10, 20)
# CPU budget: one sequence model in the default run; every horizon in the research pipeline
BILSTM_HORIZONS = (5,)
MLP_HORIZONS = (5,)  # MLP magnitude candidate, reported next to the served XGBoost regressor
POOLED_HORIZONS = (1, 5)  # XGBoost also trained on the universe panel's other symbols (modelling/pooling.py)

# gradient-boosted classifiers at every horizon; the stack learns on all
BOOSTERS = ("xgb", "lgbm", "catboost")
CLASSIFIERS = {h: [*(f"{b}_h{h}" for b in BOOSTERS), *([f"bilstm_h{h}"] if h in BILSTM_HORIZONS else []),
                   *([f"xgb_pooled_h{h}"] if h in POOLED_HORIZONS else [])] for h in HORIZONS}
MAGNITUDE = {h: f"magnitude_h{h}" for h in HORIZONS}
MODELS = ([m for h in HORIZONS for m in CLASSIFIERS[h]] + list(MAGNITUDE.values())
          + [f"mlp_magnitude_h{h}" for h in MLP_HORIZONS]
          + ["regime", "gap"])  # gap: the opening gap (issue 14)
MODEL_NAMESPACES: list[str] = [f"direction.{m}" for m in MODELS]
POOLED = {f"xgb_pooled_h{h}" for h in POOLED_HORIZONS}
LAYOUT = {"horizons": {str(h): {"classifiers": CLASSIFIERS[h], "magnitude": MAGNITUDE[h]} for h in HORIZONS},
          "all": MODELS}
SERVED = [m for h in HORIZONS for m in (*CLASSIFIERS[h], MAGNITUDE[h])]
# `kedro run --env research --pipeline=research` adds the BiLSTM at the other horizons: walk-forward
# evaluated, frozen and compared with its baseline (metrics, the run's model comparison), not stacked or
# served.
RESEARCH_NAMESPACES: list[str] = [f"direction.bilstm_h{h}" for h in HORIZONS if h not in BILSTM_HORIZONS]


def _bind(func):
    return functools.update_wrapper(functools.partial(func, layout=LAYOUT), func)


def _assembly() -> Node:
    return Node(_bind(nodes.assemble_direction_signals),
                {"direction_ensemble": "direction_ensemble", "market_daily": "market_daily",
                 **template_inputs("direction", SERVED, ("predictions",))},
                "direction_signals", name="assemble_direction_signals")


def _models(mode: str) -> Pipeline:
    return sum((model_pipeline(f"direction.{m}", "direction", mode=mode, pooled=m in POOLED) for m in MODELS),
               Pipeline([]))


def create_pipeline(**kwargs) -> Pipeline:
    """Training: every template instance, the stacked ensemble, the signal history and the summaries."""
    models = _models("train")
    return models + Pipeline([
        Node(_bind(nodes.fit_direction_ensemble),
             {"params": "params:direction",
              **template_inputs("direction", SERVED, ("oos_predictions", "metrics"))},
             "direction_ensemble", name="fit_direction_ensemble"),
        _assembly(),
        Node(_bind(nodes.summarise_direction_metrics),
             {"direction_ensemble": "direction_ensemble",
              **template_inputs("direction", MODELS, ("metrics",)),
              **template_inputs("direction", [m for h in HORIZONS for m in CLASSIFIERS[h]],
                                ("oos_predictions",))},
             "direction_metrics_summary", name="summarise_direction_metrics"),
        Node(nodes.train_universe_direction, ["universe_features", "params:direction"],
             "direction_universe_metrics", name="train_universe_direction"),
    ])


def create_research_pipeline(**kwargs) -> Pipeline:
    """Research-only template instances (RESEARCH_NAMESPACES), added to the training run by
    `--pipeline=research`."""
    return sum((model_pipeline(ns, "direction", mode="train") for ns in RESEARCH_NAMESPACES), Pipeline([]))


def create_inference_pipeline(**kwargs) -> Pipeline:
    """Inference: the frozen template instances and the same assembly node, from the frozen ensemble."""
    return _models("inference") + Pipeline([_assembly()])
