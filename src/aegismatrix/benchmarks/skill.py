"""Skill: every model's walk-forward metrics next to its primary baseline, with the bootstrap
interval."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile

import numpy as np
import pandas as pd

from aegismatrix.modelling.headline import headline

from .common import Table, TempProject

log = logging.getLogger(__name__)

_COLLECT = """
import json, warnings
warnings.simplefilter("ignore")
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
out = {}
with KedroSession.create(project_path=Path.cwd()) as session:
    catalog = session.load_context().catalog
    for ns in NAMESPACES:
        try:
            out[ns] = catalog[ns + ".metrics"].load()
        except Exception as exc:
            out[ns] = {"error": type(exc).__name__ + ": " + str(exc)[:200]}
print(json.dumps(out, default=str))
"""


def collect_metrics(project: TempProject, namespaces: list[str]) -> dict[str, dict]:
    """The latest `<ns>.metrics` JSON of each namespace, loaded through the copy's own catalog."""
    if not namespaces:
        return {}
    return project.python(f"NAMESPACES = {json.dumps(namespaces)}\n" + _COLLECT)


def _num(v) -> str:
    return f"{v:.4f}" if isinstance(v, (int, float)) and v == v else "-"


def skill_rows(metrics: dict[str, dict]) -> list[dict]:
    rows = []
    for ns, m in metrics.items():
        if "error" in m or "overall" not in m:
            rows.append({"model": f"`{ns}`", "metric": "-", "model score": "-",
                         "primary baseline": "-", "baseline score": "-", "skill": "-", "CI": "-",
                         "test skill": "-", "n": "-",
                         "status": "missing: " + m.get("error", "no overall block")[:120]})
            continue
        row = headline(m)
        rows.append({
            "model": f"`{ns}`", "metric": row["metric"], "model score": _num(row["model_score"]),
            "primary baseline": row["primary_baseline"],
            "baseline score": _num(row["baseline_score"]), "skill": _num(row["skill"]),
            "CI": f"[{_num(row['ci_low'])}, {_num(row['ci_high'])}] "
                  f"({100 * (row['ci_level'] or 0.9):.0f}%)",
            "test skill": _num(row["test_skill"]), "n": row["n_oos"],
            "status": "edge" if row["status"] == "edge" else "no edge",
        })
    return rows


def skill_table(metrics: dict[str, dict], data_note: str,
                extra_notes: list[str] | None = None) -> Table:
    rows = skill_rows(metrics)
    columns = ["model", "metric", "model score", "primary baseline", "baseline score", "skill",
               "CI", "test skill", "n", "status"]
    frame = pd.DataFrame(rows, columns=columns)
    n_edge = int((frame["status"] == "edge").sum()) if len(frame) else 0
    notes = [data_note,
             "Scores are over all out-of-sample rows of the expanding walk-forward folds plus the "
             "final untouched test block (`overall` in `<ns>.metrics`). Skill = 1 - model loss / "
             "primary-baseline loss on the same rows (for `rmse` the squared error); CI = "
             "moving-block bootstrap interval. `edge` needs CI low > 0 and test skill > 0; "
             "otherwise the model is reported `no edge` and inference serves its baseline.",
             f"{n_edge} of {len(frame)} models show an out-of-sample edge."]
    return Table("Skill: walk-forward metrics vs baselines", frame, notes + list(extra_notes or []))


def quick_template_metrics() -> dict[str, dict]:
    """Quick mode: one tiny template instance on synthetic data, so the table is built from a real
    metrics JSON."""
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    from aegismatrix.features import build_engine_features
    from aegismatrix.market.synthetic import synthetic_market_daily
    from aegismatrix.modelling.template import model_pipeline

    class _Kept(MemoryDataset):
        def _release(self) -> None:
            pass

    market = synthetic_market_daily(years=3, seed=7)
    features, entry = build_engine_features(market, "seller")
    ns = "bench.quick_trap"
    # a template instance's block names its namespace (parameters/derive.py does it for conf blocks)
    params = {"namespace": ns, "feature_set": "seller",
              "label": {"name": "implied_move_touch", "horizon": 5}, "horizon": 5,
              "class_names": ["no_touch", "touch"], "estimator": {"kind": "logistic"},
              "baselines": [{"name": "base_rate", "kind": "class_prior"}],
              "primary_baseline": "base_rate", "metric": "log_loss",
              "splits": {"n_folds": 2, "min_train": 200},
              "tuning": {"n_trials": 0,
                         "storage_dir": tempfile.mkdtemp(prefix="aegis_bench_optuna_")},
              "bootstrap": {"n_boot": 100}}
    catalog = DataCatalog({"seller_features": MemoryDataset(features),
                           "market_daily": MemoryDataset(market),
                           "feature_manifest": MemoryDataset({"seller": entry}),
                           "data_provenance": MemoryDataset({"source": "synthetic"}),
                           f"params:{ns}": MemoryDataset(params), f"{ns}.metrics": _Kept(),
                           "params:selection": MemoryDataset(_project_selection())})
    try:
        SequentialRunner().run(model_pipeline(ns, "seller"), catalog)
    finally:
        shutil.rmtree(params["tuning"]["storage_dir"], ignore_errors=True)
    return {ns: json.loads(json.dumps(catalog[f"{ns}.metrics"].load(), default=float))}


def _project_selection() -> dict:
    """The project's `selection` parameters (conf/base/parameters_selection.yml): the rule the run
    serves."""
    import yaml

    from aegismatrix.market.calendar import conf_base_dir

    return yaml.safe_load((conf_base_dir() / "parameters_selection.yml").read_text())["selection"]


def mean_skill(metrics: dict[str, dict]) -> float:
    vals = [m["overall"]["skill"]["value"] for m in metrics.values() if "overall" in m]
    return float(np.mean(vals)) if vals else float("nan")
