"""Scale: universe feature build and pooled XGBoost training for 1..500 symbols and 5..20 years.

Each point runs in its own subprocess (`python -m aegismatrix.benchmarks.scale --worker ...`), which
reports its own time and peak RSS (VmHWM of the process, so points never inherit each other's peak).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from .common import Table, kedro_env

log = logging.getLogger(__name__)
FULL_GRID = {"features": {"symbols": [1, 26, 100, 500], "years": [5, 10, 20]},
             "training": {"symbols": [1, 26, 100, 500], "years": [5, 10, 20]}}
QUICK_GRID = {"features": {"symbols": [1, 3], "years": [2]},
              "training": {"symbols": [1], "years": [2]}}
# Training is timed along both axes separately (symbols at 5 years, years at 26 symbols), not on the
# full grid.
TRAINING_FIXED = {"years": 5, "symbols": 26}
TRAINING_FIXED_QUICK = {"years": 2, "symbols": 1}
TRAIN_PARAMS = {
    "feature_set": "universe", "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
    "label_bins": [0.5], "class_names": ["below_median", "above_median"],
    "estimator": {"kind": "xgb_classifier"},
    "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
    "metric": "log_loss", "tuning": {"n_trials": 0}, "calibration": "sigmoid",
}


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss can report the parent's size at fork after
    exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _pooled_frame(universe: dict[str, pd.DataFrame], panel: pd.DataFrame) -> pd.DataFrame:
    from aegismatrix.labels import build_label

    labels = pd.concat([f[["date"]].assign(symbol=k,
                                           label=build_label(f, **TRAIN_PARAMS["label"]).to_numpy())
                        for k, f in universe.items()], ignore_index=True)
    frame = panel.merge(labels, on=["date", "symbol"], how="inner")
    return frame.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)


def worker(kind: str, symbols: int, years: float) -> dict:
    """One point: generate the universe, then time the feature panel (and, for training, one pooled
    fit)."""
    import warnings

    warnings.simplefilter("ignore")
    from aegismatrix.features.universe import build_universe_panel
    from aegismatrix.market.synthetic import synthetic_universe

    import_mb = _peak_mb()
    start = time.perf_counter()
    universe = synthetic_universe(symbols, years=years, seed=7)
    gen_s = time.perf_counter() - start
    start = time.perf_counter()
    panel = build_universe_panel(universe)
    feat_s = time.perf_counter() - start
    out = {"kind": kind, "symbols": symbols, "years": years, "rows": int(len(panel)),
           "panel_mb": float(panel.memory_usage(index=False).sum() / 2**20),
           "features": int(panel.shape[1] - 2), "generate_s": gen_s, "features_s": feat_s,
           "import_mb": import_mb}
    if kind == "training":
        from aegismatrix.modelling.config import ModelConfig
        from aegismatrix.modelling.training import train_fold

        frame = _pooled_frame(universe, panel)
        del panel
        cols = [c for c in frame.columns if c not in ("date", "symbol", "label")]
        labelled = np.flatnonzero(frame["label"].notna().to_numpy())
        cfg = ModelConfig.from_params(TRAIN_PARAMS)
        start = time.perf_counter()
        fitted = train_fold(frame, cols, labelled, cfg, "bench/scale")
        out |= {"train_s": time.perf_counter() - start, "train_rows": int(len(labelled)),
                "trees": int(fitted.estimator.booster.num_boosted_rounds())}
    out["peak_mb"] = _peak_mb()
    return out


def run_point(kind: str, symbols: int, years: float, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "aegismatrix.benchmarks.scale", "--worker", kind, "--symbols",
           str(symbols), "--years", str(years)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=kedro_env())
    except subprocess.TimeoutExpired:
        return {"kind": kind, "symbols": symbols, "years": years,
                "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"kind": kind, "symbols": symbols, "years": years,
                "error": proc.stderr.strip().splitlines()[-1][:160]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    log.info("scale %s %d symbols x %s years: %s", kind, symbols, years, result)
    return result


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log(y) on log(x): 1 means linear growth."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = (x > 0) & (y > 0)
    if ok.sum() < 2 or np.ptp(np.log(x[ok])) == 0:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def measure(quick: bool, timeout: float = 240) -> list[dict]:
    grid = QUICK_GRID if quick else FULL_GRID
    fixed = TRAINING_FIXED_QUICK if quick else TRAINING_FIXED
    points = [("features", s, y)
              for y in grid["features"]["years"] for s in grid["features"]["symbols"]]
    points += [("training", s, fixed["years"]) for s in grid["training"]["symbols"]]
    points += [("training", fixed["symbols"], y)
               for y in grid["training"]["years"] if y != fixed["years"]]
    return [run_point(k, s, y, timeout) for k, s, y in points]


def _fmt(v, spec: str = ".2f") -> str:
    return format(v, spec) if isinstance(v, (int, float)) and v == v else "-"


def tables(results: list[dict]) -> list[Table]:
    feats = [r for r in results if r["kind"] == "features"]
    train = [r for r in results if r["kind"] == "training"]
    f_rows = [{"symbols": r["symbols"], "years": r["years"], "rows": r.get("rows", "-"),
               "features": r.get("features", "-"),
               "feature build s": _fmt(r.get("features_s", float("nan"))),
               "rows / s": _fmt(r["rows"] / r["features_s"], ",.0f") if "features_s" in r else "-",
               "panel MB": _fmt(r.get("panel_mb", float("nan")), ".0f"),
               "peak RSS MB": _fmt(r.get("peak_mb", float("nan")), ".0f"),
               "RSS after imports MB": _fmt(r.get("import_mb", float("nan")), ".0f"),
               "simulate s": _fmt(r.get("generate_s", float("nan"))), "note": r.get("error", "")}
              for r in feats]
    t_rows = [{"symbols": r["symbols"], "years": r["years"], "train rows": r.get("train_rows", "-"),
               "fit s (inner fit + calibration + final fit)": _fmt(r.get("train_s", float("nan"))),
               "feature build s": _fmt(r.get("features_s", float("nan"))),
               "peak RSS MB": _fmt(r.get("peak_mb", float("nan")), ".0f"),
               "note": r.get("error", "")}
              for r in train]
    f_notes, t_notes = [], []
    for axis, fixed in (("symbols", "years"), ("years", "symbols")):
        for value in sorted({r[fixed] for r in feats}):
            pts = [r for r in feats if r[fixed] == value and "features_s" in r]
            if len({r[axis] for r in pts}) >= 2:
                rows, feat_s = [r["rows"] for r in pts], [r["features_s"] for r in pts]
                rss_increment = [r["peak_mb"] - r["import_mb"] for r in pts]
                f_notes.append(f"Feature build time vs {axis} at {value} {fixed}: log-log slope "
                               f"{loglog_slope([r[axis] for r in pts], feat_s):.2f}; "
                               f"vs rows {loglog_slope(rows, feat_s):.2f}; "
                               f"peak-RSS increment slope {loglog_slope(rows, rss_increment):.2f}.")
    all_pts = [r for r in feats if "features_s" in r]
    if all_pts:
        slope = loglog_slope([r["rows"] for r in all_pts], [r["features_s"] for r in all_pts])
        f_notes.insert(0, f"All points: feature build time vs rows, log-log slope {slope:.2f} "
                          "(1.0 = linear).")
    tpts = [r for r in train if "train_s" in r]
    if tpts:
        t_notes.append(f"Fit time vs training rows, log-log slope "
                       f"{loglog_slope([r['train_rows'] for r in tpts], [r['train_s'] for r in tpts]):.2f} "
                       "(1.0 = linear).")
    f_notes.append("`build_universe_panel` on `synthetic_universe(symbols, years)`: every "
                   "price-family feature per symbol (plus volume features), warm-up dropped, "
                   "stacked. One subprocess per point; peak RSS is that process's VmHWM (includes "
                   "the interpreter, imports and the simulated input); `panel MB` is the size of "
                   "the output frame itself (float64), so peak / panel shows the working overhead "
                   "(about 2x: per-symbol frames are concatenated into a new block).")
    t_notes.append("The template's fit (`modelling.training.train_fold`: inner purged split, "
                   "sigmoid calibration, final XGBoost fit, 150 trees, 2 threads, Optuna off) on "
                   "the pooled panel with a next-day-return label per symbol from `labels.py`. "
                   "Timing only, not a skill evaluation. Training is timed along symbols at 5 "
                   "years and along years at 26 symbols.")
    return [Table("Scale: universe feature build", pd.DataFrame(f_rows), f_notes),
            Table("Scale: pooled XGBoost training", pd.DataFrame(t_rows), t_notes)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", choices=["features", "training"], required=True)
    parser.add_argument("--symbols", type=int, required=True)
    parser.add_argument("--years", type=float, required=True)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    print(json.dumps(worker(args.worker, args.symbols, args.years)))


if __name__ == "__main__":
    main()
