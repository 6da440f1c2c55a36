"""Selection section (issue 23): every rule of `selection.rules` scored as a forecaster on real
data.

    python -m aegismatrix.benchmarks --sections selection [--real-dir ../shared/data/real]
        [--refresh]

Each candidate's walk-forward out-of-sample predictions come from the template's own
`evaluate_walk_forward` (the project's parameters: same folds, purge and baselines as `kedro run`)
and are cached under data/08_reporting/selection_backtest/ (git-ignored; keyed by the parameter
block and the data), so a rerun only re-scores the rules. modelling/selection_backtest.py does the
scoring.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import pandas as pd

from aegismatrix.modelling.selection_backtest import compare_rules, pooled_skills, series_from_oos

from .common import PROJECT_ROOT, Table

log = logging.getLogger(__name__)
CACHE = PROJECT_ROOT / "data" / "08_reporting" / "selection_backtest"
PIPELINE_VOL = ["seller.vol_garch", "seller.vol_har", "seller.vol_xgb", "seller.vol_vix_log",
                "seller.vol_combo"]
VIX_BACKBONE = ["seller.vol_vix_rolling", "seller.vol_har_log", "seller.vol_combo_shrunk"]
# signal -> its candidates (template namespaces); vol_lstm / vol_pooled are left out: minutes each
# on 2 cores (and a universe panel for the pooled one) for candidates 15-60% behind the scaled VIX
# (docs/benchmarks.md)
SIGNALS: dict[str, list[str]] = {
    "seller.vol_21d (served: vol_combo)": ["seller.vol_combo"],
    "seller.vol_21d (pipeline candidates)": PIPELINE_VOL,
    "seller.vol_21d (+ VIX-backbone candidates)": PIPELINE_VOL + VIX_BACKBONE,
    "seller.vol_21d (VIX-backbone only)": VIX_BACKBONE,
    "direction.h1 (xgb, catboost)": ["direction.xgb_h1", "direction.catboost_h1"],
    "direction.magnitude_h1": ["direction.magnitude_h1"],
    "buyer.theta": ["buyer.theta"],
    "buyer.breakout": ["buyer.breakout"],
    "seller.vol_regime": ["seller.vol_regime"],
    "seller.trap": ["seller.trap"],
    "seller.breach_5d": ["seller.breach_5d"],
    "seller.breach_21d": ["seller.breach_21d"],
}


def _key(block: dict, market: pd.DataFrame, extra: dict) -> str:
    text = json.dumps({"block": block, "rows": len(market), "last": str(market["date"].max()),
                       **extra},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class OosSource:
    """Walk-forward out-of-sample predictions per namespace, computed once and cached on disk."""

    def __init__(self, real_dir: Path, start: str = "2010-01-01", refresh: bool = False):
        from .ablation import load_real, project_parameters

        self.params = project_parameters(str(PROJECT_ROOT / "conf"))
        self.market, self.us = load_real(str(real_dir), start, self.params)
        self.decision_time = self.params.get("decision_time", "close")
        self.refresh, self.features, self.seconds = refresh, {}, {}

    def block(self, namespace: str) -> dict:
        from .ablation import model_block

        return model_block(self.params, namespace)

    def _features(self, feature_set: str):
        from aegismatrix.pipelines.feature_engineering.nodes import _engine_features

        if feature_set not in self.features:
            fe = self.params["feature_engineering"]
            self.features[feature_set] = _engine_features(self.market, self.us, feature_set, fe,
                                                          self.decision_time)
        return self.features[feature_set]

    def oos(self, namespace: str) -> pd.DataFrame:
        from aegismatrix.modelling.template import build_model_input, evaluate_walk_forward

        block = self.block(namespace)
        fe = self.params["feature_engineering"]
        path = CACHE / f"{namespace}-{_key(block, self.market, {'dt': self.decision_time, 'fe': fe})}.parquet"
        if path.exists() and not self.refresh:
            return pd.read_parquet(path)
        started = time.perf_counter()
        features, entry = self._features(block["feature_set"])
        model_input = build_model_input(features, self.market, block)
        oos, _ = evaluate_walk_forward(model_input, {block["feature_set"]: entry}, block,
                                       namespace=namespace)
        self.seconds[namespace] = round(time.perf_counter() - started, 1)
        log.warning("selection: %s walk-forward in %.0f s", namespace, self.seconds[namespace])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        oos.to_parquet(tmp, index=False)
        tmp.replace(path)  # never a half-written cache file
        return oos


def rule_results(source: OosSource,
                 signals: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, dict]:
    """The rule table of every signal, and each signal's candidates' pooled walk-forward skills."""
    selection = source.params["selection"]
    bt = selection["backtest"]
    frames, pooled = [], {}
    for signal, namespaces in (signals or SIGNALS).items():
        oos = {ns: source.oos(ns) for ns in namespaces}
        series = series_from_oos(signal, oos, {ns: source.block(ns) for ns in namespaces})
        pooled[signal] = pooled_skills(series)
        frames.append(compare_rules(series, selection["rules"], int(bt["step"]),
                                    int(bt["min_history"]),
                                    str(bt["holdout_start"])))
    return pd.concat(frames, ignore_index=True), pooled


# worst-signal skills within 0.1 point are a tie (then the mean decides); see docs/selection.md
TIE = 0.001


def best_rule(results: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """Rules ranked by their worst signal's worse-of-backtest-and-hold-out skill (to the nearest 0.1
    point), then by the mean of it."""
    summary = results.groupby("rule", sort=False)["worse_first"].agg(
        worst_signal="min", mean="mean", signals_below_baseline=lambda s: int((s < -1e-12).sum()))
    summary["worst_rounded"] = (summary["worst_signal"] / TIE).round() * TIE
    summary = summary.sort_values(["worst_rounded", "mean"],
                                  ascending=False).drop(columns="worst_rounded")
    return str(summary.index[0]), summary.reset_index()


def _pct(value, low=None, high=None) -> str:
    if value is None or value != value:
        return "-"
    text = f"{100 * value:+.1f}%"
    return text + (f" [{100 * low:+.1f}, {100 * high:+.1f}]"
                   if low is not None and low == low else "")


def _shares(shares: dict) -> str:
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in sorted(shares.items(),
                                                              key=lambda kv: -kv[1]))


def signal_table(results: pd.DataFrame, signal: str, pooled: dict[str, float],
                 default: str) -> Table:
    rows = []
    for _, r in results[results["signal"] == signal].iterrows():
        rows.append({"rule": f"**{r['rule']}** (default)" if r["rule"] == default else r["rule"],
                     "worse of the two": _pct(r["worse_first"]),
                     f"backtest {r['backtest_from'][:4]}-2022 [90% CI]": _pct(
                         r["backtest_skill"], r["backtest_ci_low"], r["backtest_ci_high"]),
                     "pseudo-hold-out 2019-2022 [90% CI]": _pct(r["holdout_skill"],
                                                                r["holdout_ci_low"],
                                                                r["holdout_ci_high"]),
                     "hold-out choice (at 2018-12-31)": r["holdout_choice"],
                     "served in the backtest (share of rows)": _shares(r["served_shares"]),
                     "serves today (all rows)": r["today"]})
    note = ("Pooled walk-forward skill of each candidate over all its out-of-sample rows (what "
            "headlines quoted before): " + ", ".join(f"`{c}` {_pct(v)}"
                                                     for c, v in pooled.items()) + ".")
    return Table(f"Selection: {signal}", pd.DataFrame(rows), [note])


def tables(real_dir: Path, refresh: bool = False) -> list[Table]:
    """The selection section: one summary of the rules, then one table per signal."""
    if not (real_dir / "nifty50.csv").exists():
        return [Table("Selection", pd.DataFrame([{"note": f"real data not found at {real_dir}"}]))]
    started = time.perf_counter()
    source = OosSource(real_dir, refresh=refresh)
    results, pooled = rule_results(source)
    best, summary = best_rule(results)
    configured = source.params["selection"]["rule"]
    bt = source.params["selection"]["backtest"]
    notes = [
        f"Real NIFTY 50 / India VIX {source.market['date'].min().date()} .. "
        f"{source.market['date'].max().date()}; skill = 1 - served loss / primary-baseline loss on "
        f"the same rows (QLIKE for vol, log-loss, squared error); re-selection every {bt['step']} "
        "sessions on matured rows only; pseudo-hold-out: one choice on rows matured before "
        f"{bt['holdout_start']}, served unchanged to 2022-12-30.",
        "Ranking: the worst signal's 'worse of the two' first (to the nearest 0.1 point: smaller "
        f"differences are ties), then the mean. Best: `{best}`; configured default "
        f"`selection.rule`: `{configured}`.",
        f"Walk-forwards computed this run (s): {source.seconds or 'none (all cached)'}; section "
        f"took {time.perf_counter() - started:.0f} s.",
    ]
    show = summary.assign(**{c: summary[c].map(_pct) for c in ("worst_signal", "mean")})
    out = [Table("Selection rules: served-series skill, worse of backtest and pseudo-hold-out",
                 show, notes)]
    out += [signal_table(results, s, pooled[s], configured) for s in results["signal"].unique()]
    return out
