"""Ablation of the information sources of issue 14: walk-forward skill with and without each,
per decision time.

    python -m aegismatrix.benchmarks.ablation --csv-dir ../shared/data/real --start 2010-01-01
        --out docs/overnight.md

Every row runs the modelling template's own walk-forward evaluation (same folds, purge, baselines
and bootstrap as `kedro run`) on the project's parameters, once with the source's features and once
without; the table is written between markers of the output Markdown file. Nothing here is tuned on
the final test block.
"""

from __future__ import annotations

import argparse
import copy
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd

from aegismatrix.features.registry import REGISTRY

log = logging.getLogger(__name__)
BEGIN, END = "<!-- ablation:begin -->", "<!-- ablation:end -->"
DEFAULT_MODELS = ("direction.xgb_h1", "direction.open_to_close_h1", "direction.xgb_h5",
                  "direction.gap", "seller.vol_har", "seller.vol_vix_log", "seller.vol_combo",
                  "seller.vol_xgb", "seller.vol_regime", "seller.trap", "seller.breach_5d",
                  "buyer.breakout", "buyer.theta")
SOURCES = ("overnight", "events", "sector")
# FeatureSpec.needs -> its source
NEEDS = {"us": "overnight", "calendar": "events", "sector": "sector"}
SECTOR = {"niftybank": "^NSEBANK"}  # loaded for the `+sector` variant (real niftybank.csv)


def project_parameters(conf: str = "conf") -> dict[str, Any]:
    """The project's derived parameters (model families expanded) as `kedro run` sees them."""
    from aegismatrix.parameters.context import LOADER_ARGS, AegisConfigLoader
    from aegismatrix.parameters.derive import derive_parameters

    loader = AegisConfigLoader(conf, **LOADER_ARGS)
    return derive_parameters(dict(loader["parameters"]))


def model_block(params: dict, namespace: str) -> dict:
    """A model's block; `direction.open_to_close_h1` is xgb_h1 on the open(t+1) -> close(t+1)
    label."""
    if namespace == "direction.open_to_close_h1":
        block = copy.deepcopy(params["direction"]["xgb_h1"])
        block["label"] = {"name": "open_to_close_direction",
                          "neutral_band": block["label"]["neutral_band"]}
        return block
    engine, name = namespace.split(".")
    return copy.deepcopy(params[engine][name])


def _source_of(name: str) -> str | None:
    spec = REGISTRY.get(name)
    return NEEDS.get(spec.needs) if spec is not None else None


def without_source(block: dict, source: str) -> dict | None:
    """The block with the source's columns removed from named features / estimator columns; None if
    nothing is left."""
    block = copy.deepcopy(block)
    keep = lambda names: [n for n in names if _source_of(n) != source]  # noqa: E731
    if block.get("features"):
        block["features"] = keep(block["features"])
        if not [n for n in block["features"] if n not in ("ret_1d", "vix_change_1d")]:
            return None  # a model of the source alone (the gap model) has no without-variant
    est = block["estimator"].get("params", {})
    for holder in [est, *[c.get("params", c) for c in est.get("candidates", [])]]:
        for key in ("columns", "percent_columns"):
            if holder.get(key):
                holder[key] = keep(holder[key])
    return block


def load_real(csv_dir: str, start: str, params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """market_daily and us_daily through the data_ingestion nodes (validated and aligned like a
    run)."""
    from aegismatrix.pipelines.data_ingestion import nodes as di

    p = {**params["data_ingestion"], "source": "csv", "csv_dir": csv_dir, "start": start,
         "sector": SECTOR}
    raw, _, fetch_log = di.fetch_market_data(p)
    validated, _ = di.validate_market_data(raw, fetch_log, p)
    return di.align_market_data(validated, p)[0], di.align_us_market_data(validated, p)[0]


def evaluate(market: pd.DataFrame, us: pd.DataFrame, block: dict, namespace: str, fe_params: dict,
             decision_time: str) -> dict:
    """One walk-forward evaluation through the template; skill, interval, final-test skill and
    seconds."""
    from aegismatrix.modelling.template import build_model_input, evaluate_walk_forward
    from aegismatrix.pipelines.feature_engineering.nodes import _engine_features

    # its pooled rows come from the universe panel, which this harness does not load
    if block.get("pool"):
        raise ValueError(f"{namespace} is a pooled instance: measure it with and without "
                         "data_ingestion.universe through `kedro run` (docs/benchmarks.md, pooled "
                         "training), not with this ablation")
    started = time.perf_counter()
    features, entry = _engine_features(market, us, block["feature_set"], fe_params, decision_time)
    model_input = build_model_input(features, market, block)
    oos, metrics = evaluate_walk_forward(model_input, {block["feature_set"]: entry}, block,
                                         namespace=namespace)
    skill, test = metrics["overall"]["skill"], metrics["test"]["skill"]
    return {"skill": skill["value"], "ci_low": skill["ci_low"], "ci_high": skill["ci_high"],
            "test": test["value"], "metric": skill["metric"], "vs": skill["vs"],
            "status": metrics["status"], "n": metrics["overall"]["n"],
            "served_ece": served_ece(oos, metrics),
            "seconds": round(time.perf_counter() - started, 1)}


def served_ece(oos: pd.DataFrame, metrics: dict) -> float | None:
    """Expected calibration error of what would be served on the OOS rows: the model's probabilities
    with edge, else its primary baseline's (None for regressors)."""
    from aegismatrix.modelling.calibration import expected_calibration_error
    from aegismatrix.modelling.conformal import served_oos

    if metrics.get("task") != "classification":
        return None
    scored = oos.dropna(subset=["label"])
    columns = [c for c in scored.columns if c.startswith("p_")]
    return expected_calibration_error(scored["label"].to_numpy(dtype=float),
                                      served_oos(scored, metrics, columns))


def _variants(block: dict, engine: str, served: dict) -> dict[str, tuple[dict | None, dict]]:
    """`none`: no optional source (their columns stripped); `+<source>`: that source alone;
    `served`: the sources `feature_engineering.sources` switches on (what `kedro run` trains and
    serves)."""
    bare = block
    for source in SOURCES:
        bare = without_source(bare, source) if bare is not None else None
    out = {"none": (bare, {}),
           "served": (block, {s: e for s, e in (served or {}).items() if engine in (e or [])})}
    for source in SOURCES:
        others = [s for s in SOURCES if s != source]
        with_block = block
        for other in others:
            with_block = without_source(with_block, other) if with_block is not None else None
        out[f"+{source}"] = (with_block, {source: [engine]})
    return out


def run_ablation(market: pd.DataFrame, us: pd.DataFrame, params: dict,
                 models: tuple[str, ...]) -> pd.DataFrame:
    """Every model x decision time x variant (no optional source, each source alone)."""
    rows = []
    for namespace in models:
        block = model_block(params, namespace)
        for decision_time in ("close", "preopen"):
            served = params["feature_engineering"].get("sources")
            for variant, (b, sources) in _variants(block, block["feature_set"], served).items():
                if b is None:
                    continue
                fe = {**params["feature_engineering"], "sources": sources}
                result = evaluate(market, us, b, namespace, fe, decision_time)
                rows.append({"model": namespace, "decision_time": decision_time, "variant": variant,
                             **result})
                log.warning("%s %s %s: %+.4f [%+.4f, %+.4f] test %+.4f", namespace, decision_time,
                            variant, result["skill"], result["ci_low"], result["ci_high"],
                            result["test"])
    return pd.DataFrame(rows)


def _cell(row: pd.Series | None) -> str:
    if row is None:
        return "n/a (needs the source)"
    mark = " **edge**" if row["status"] == "edge" else ""
    return f"{row['skill']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}], test {row['test']:+.3f}{mark}"


def _header(variant: str) -> str:
    return {"none": "no optional source",
            "served": "as served (conf sources)"}.get(variant, f"with {variant[1:]}")


def render_calibration(results: pd.DataFrame) -> str:
    """Markdown: ECE of the served classifier probabilities before the new sources (`none`) and as
    served."""
    lines = ["| model | decision time | served before (no optional source): ECE | "
             "served now (conf sources): ECE | change |", "|---|---|---|---|---|"]
    for (model, decision_time), group in results.groupby(["model", "decision_time"], sort=False):
        by = {r["variant"]: r for _, r in group.iterrows()}
        before, now = by.get("none"), by.get("served")
        if before is None or now is None or before["served_ece"] is None or pd.isna(before["served_ece"]):
            continue
        what = lambda r: "model" if r["status"] == "edge" else "baseline"  # noqa: E731
        change = now["served_ece"] - before["served_ece"]
        lines.append(f"| `{model}` | {decision_time} | {what(before)} {before['served_ece']:.4f} | "
                     f"{what(now)} {now['served_ece']:.4f} | {change:+.4f} |")
    return "\n".join(lines)


def render_table(results: pd.DataFrame) -> str:
    """Markdown: one line per model and decision time, the variants side by side."""
    variants = ["none", *(f"+{s}" for s in SOURCES), "served"]
    lines = ["| model | decision time | metric vs baseline | "
             + " | ".join(_header(v) for v in variants) + " |",
             "|---|---|---|" + "---|" * len(variants)]
    for (model, decision_time), group in results.groupby(["model", "decision_time"], sort=False):
        by = {r["variant"]: r for _, r in group.iterrows()}
        first = next(iter(by.values()))
        cells = " | ".join(_cell(by.get(v)) for v in variants)
        lines.append(f"| `{model}` | {decision_time} | {first['metric']} vs {first['vs']} | "
                     f"{cells} |")
    return "\n".join(lines)


def write_section(path: Path, body: str) -> None:
    """Replace what lies between the ablation markers of `path` (the rest of the file is kept)."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path}: no '{BEGIN}' ... '{END}' markers to write the ablation table "
                         "between")
    head, rest = text.split(BEGIN, 1)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv-dir", default="../shared/data/real")
    parser.add_argument("--start", default="2010-01-01")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--out", default=None,
                        help="Markdown file whose ablation section is rewritten")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    params = project_parameters()
    market, us = load_real(args.csv_dir, args.start, params)
    started = time.perf_counter()
    results = run_ablation(market, us, params, tuple(args.models.split(",")))
    note = (f"Measured on real data {market['date'].min().date()} .. {market['date'].max().date()} "
            f"({len(market)} NSE sessions) in {time.perf_counter() - started:.0f} s; cells: "
            "walk-forward skill [90% block-bootstrap CI], final-test skill; **edge** = CI low > 0 "
            "and test skill > 0.")
    body = (note + "\n\n" + render_table(results)
            + "\n\nCalibration of what each classifier serves (expected calibration error of the "
              "served probabilities on the walk-forward rows, one-vs-rest, 10 bins; lower is "
              "better): before the new sources and as served now.\n\n"
            + render_calibration(results))
    print(body)
    if args.out:
        write_section(Path(args.out), body)


if __name__ == "__main__":
    main()
