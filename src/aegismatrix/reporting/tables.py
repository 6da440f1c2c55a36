"""Report tables: the template's metrics JSON (modelling.evaluation.summarise)
flattened into frames."""

from __future__ import annotations

import pandas as pd

from aegismatrix.modelling.headline import headline, score_key

COMPARISON_COLUMNS = ["model", "engine", "task", "metric", "primary_baseline", "n", "model_score",
                      "baseline_score", "skill", "ci_low", "ci_high", "test_skill", "beats_all_baselines",
                      "status"]


def comparison_row(name: str, metrics: dict) -> dict:
    """One model's headline: score and primary-baseline score on the same rows,
    skill with CI, status."""
    row = headline(metrics)
    return {"model": name, "engine": name.split(".")[0], "task": metrics.get("task"),
            "metric": row["metric"],
            "primary_baseline": row["primary_baseline"], "n": row["n_oos"], "model_score": row["model_score"],
            "baseline_score": row["baseline_score"], "skill": row["skill"], "ci_low": row["ci_low"],
            "ci_high": row["ci_high"], "test_skill": row["test_skill"],
            "beats_all_baselines": metrics.get("beats_all_baselines"), "status": row["status"],
            "ci_level": row["ci_level"]}


def comparison_table(metrics_by_model: dict[str, dict]) -> pd.DataFrame:
    """Every model's headline row, grouped by engine."""
    rows = [comparison_row(name, m) for name, m in metrics_by_model.items() if m]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _percent(value) -> str:
    return "n/a" if value is None else f"{100 * float(value):+.1f}%"


def comparison_text(metrics_by_model: dict[str, dict]) -> str:
    """The comparison as the fixed-width text table a training run's log ends with,
    edge models first."""
    rows = sorted((comparison_row(name, m) for name, m in metrics_by_model.items() if m),
                  key=lambda r: (r["status"] != "edge", r["model"]))
    head = ["model", "baseline", "metric", "skill", "CI", "status"]
    cells = [[r["model"], r["primary_baseline"], r["metric"], _percent(r["skill"]),
              f"[{_percent(r['ci_low'])}, {_percent(r['ci_high'])}]", r["status"]] for r in rows]
    widths = [max(len(str(row[i])) for row in [head, *cells]) for i in range(len(head))]
    level = next((f"{100 * r['ci_level']:.0f}%" for r in rows if r["ci_level"]), "")
    title = f"Model comparison, out of sample (skill = 1 - model loss / baseline loss; {level} bootstrap CI)"
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in [head, *cells]]
    return "\n".join([title, *lines])


def _block_row(block: str, scores: dict, metric: str, primary: str) -> dict:
    key = score_key(metric)
    return {"block": block, "n": scores.get("n"), f"model {key}": scores["model"].get(key),
            f"{primary} {key}": scores["baselines"].get(primary, {}).get(key),
            "skill": scores["skill"]["value"], "ci_low": scores["skill"]["ci_low"],
            "ci_high": scores["skill"]["ci_high"]}


def block_table(metrics: dict, key: str) -> pd.DataFrame:
    """Per fold (`folds`, then the walk-forward and overall totals) or per year (`per_year`): model
    vs primary baseline on the same rows and skill with its bootstrap interval."""
    metric, primary = metrics["metric"], metrics["primary_baseline"]
    blocks = dict(metrics.get(key) or {})
    if key == "folds":
        blocks.update({"all walk-forward folds": metrics["walk_forward"],
                       "overall": metrics["overall"]})
    return pd.DataFrame([_block_row(block, scores, metric, primary) for block, scores in blocks.items()])


def scores_table(metrics: dict, block: str = "overall") -> pd.DataFrame:
    """All scalar scores of the model and every baseline on the same rows of one block."""
    scores = metrics.get(block) or {}
    rows = {"model": scores.get("model", {}),
            **{f"baseline {k}": v for k, v in scores.get("baselines", {}).items()}}
    table = pd.DataFrame({who: {k: v for k, v in s.items() if isinstance(v, (int, float)) or v is None}
                          for who, s in rows.items()}).T
    skills = scores.get("skill_vs_each_baseline", {})
    if len(table):
        table["model skill vs this baseline"] = [None] + [skills.get(k[len("baseline "):])
                                                          for k in table.index[1:]]
    return table


def provenance_table(provenance: dict | None) -> pd.DataFrame:
    """One row per symbol of data_provenance."""
    symbols = (provenance or {}).get("symbols") or {}
    rows = [{"symbol": key,
             **{k: ("; ".join(map(str, v)) if isinstance(v, list) else v) for k, v in info.items()}}
            for key, info in symbols.items()]
    return pd.DataFrame(rows)
