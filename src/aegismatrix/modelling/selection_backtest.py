"""The selection backtest (issue 23):
the rule that picks a signal's served model, scored as a forecaster.

Input: the walk-forward's own out-of-sample predictions (`<ns>.oos_predictions` of every candidate
of one signal; nothing is retrained here). Every prediction in them was made by a fold model fitted
before its fold, so at any date the series is what the project could have served. At each
re-selection step (every `step` rows) a rule (modelling/selection.py) looks only at the rows whose
labels matured before the step (row i with i + horizon < step start), picks baseline, one candidate
or a blend, and that choice is served until the next step. The served series is scored against the
primary baseline on the same rows (skill, moving-block bootstrap CI). The pseudo-hold-out chooses
once on the rows matured by `holdout_start` and serves that choice, untouched, to the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.evaluation import prediction_columns
from aegismatrix.modelling.metrics import ROW_LOSSES, block_bootstrap_skill
from aegismatrix.modelling.selection import rule_edge, shrink_weight, skill_of, windowed

BASELINE = "baseline"


@dataclass
class SignalSeries:
    """One signal's out-of-sample history: labels, the primary baseline's and each candidate's
    predictions on the same dates (2-D class probabilities for classifiers)."""

    name: str
    metric: str
    horizon: int
    dates: np.ndarray
    y: np.ndarray
    baseline: np.ndarray
    candidates: dict[str, np.ndarray]
    labelled: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.labelled = np.isfinite(self.y)

    def loss(self, pred: np.ndarray) -> np.ndarray:
        """Per-row loss (NaN where the label is missing)."""
        out = np.full(len(self.y), np.nan)
        y = self.y[self.labelled]
        y = y.astype(int) if pred.ndim == 2 else y
        out[self.labelled] = ROW_LOSSES[self.metric](y, pred[self.labelled])
        return out

    def served(self, weights: dict[str, float], rows: slice) -> np.ndarray:
        preds = {BASELINE: self.baseline, **self.candidates}
        return sum(w * preds[name][rows] for name, w in weights.items())


def series_from_oos(name: str, oos: dict[str, pd.DataFrame], params: dict[str, dict]) -> SignalSeries:
    """A signal's series from its candidates' `oos_predictions` (joined on date; the first candidate
    gives the label and the primary baseline)."""
    first = next(iter(oos))
    cfgs = {c: ModelConfig.from_params(params[c]) for c in oos}
    base_cfg = cfgs[first]
    base_cols = [f"baseline_{base_cfg.primary_baseline}__{c}" for c in prediction_columns(base_cfg)]
    frame = oos[first][["date", "label", *base_cols]].rename(columns=dict(zip(base_cols, ["b__" + c for c in
                                                                                          base_cols])))
    for cand, df in oos.items():
        cols = prediction_columns(cfgs[cand])
        frame = frame.merge(df[["date", *cols]].rename(columns={c: f"{cand}__{c}" for c in cols}),
                            on="date")
    frame = frame.sort_values("date").reset_index(drop=True)

    def matrix(cols: list[str]) -> np.ndarray:
        values = frame[cols].to_numpy(dtype=float)
        return values if base_cfg.is_classifier else values[:, 0]

    return SignalSeries(
        name=name, metric=base_cfg.metric, horizon=max(c.horizon for c in cfgs.values()),
        dates=frame["date"].to_numpy(), y=frame["label"].to_numpy(dtype=float),
        baseline=matrix(["b__" + c for c in base_cols]),
        candidates={c: matrix([f"{c}__{p}" for p in prediction_columns(cfgs[c])]) for c in oos})


def matured(series: SignalSeries, start: int) -> np.ndarray:
    """Labelled rows whose label window closed before row `start` (i + horizon < start)."""
    rows = np.arange(min(max(start - series.horizon, 0), len(series.y)))
    return rows[series.labelled[rows]]


def choose(series: SignalSeries, history: np.ndarray, spec: dict) -> tuple[dict[str, float], dict]:
    """The weights {source: weight} a rule serves after seeing the losses of the `history` rows."""
    kind = spec["kind"]
    if kind == "baseline":
        return {BASELINE: 1.0}, {}
    if kind == "fixed":
        return {spec["candidate"]: 1.0}, {}
    base = series.loss(series.baseline)[history]
    losses = {c: series.loss(p)[history] for c, p in series.candidates.items()}
    if kind == "shrink":
        return _choose_shrink(series, history, base, spec)
    decided = {c: rule_edge(loss, base, series.horizon, spec) for c, loss in losses.items()}
    with_edge = [(float(windowed(losses[c], spec).mean()), c) for c, (edge, _) in decided.items() if edge]
    info = {c: info for c, (_, info) in decided.items()}
    return ({min(with_edge)[1]: 1.0} if with_edge else {BASELINE: 1.0}), info


def _choose_shrink(series: SignalSeries, history: np.ndarray, base: np.ndarray,
                   spec: dict) -> tuple[dict[str, float], dict]:
    """The best penalised blend of one candidate with the baseline over the window's rows."""
    rows = windowed(history, spec)
    base_sum = float(windowed(base, spec).sum())
    if len(rows) < int(spec.get("min_rows", 60)):
        return {BASELINE: 1.0}, {}
    best, info = ({BASELINE: 1.0}, 0.0), {}
    for cand, pred in series.candidates.items():
        def blend_loss(w: float, pred=pred) -> tuple[float, float]:
            mixed = w * pred[rows] + (1.0 - w) * series.baseline[rows]
            return float(_row_loss(series, rows, mixed).sum()), base_sum
        w, score = shrink_weight(blend_loss, spec)
        info[cand] = {"weight": w, "penalised_skill": score}
        if w > 0 and score > best[1]:
            best = ({cand: w, BASELINE: 1.0 - w}, score)
    return best[0], info


def _row_loss(series: SignalSeries, rows: np.ndarray, pred: np.ndarray) -> np.ndarray:
    y = series.y[rows]
    return ROW_LOSSES[series.metric](y.astype(int) if pred.ndim == 2 else y, pred)


def score_served(series: SignalSeries, served: np.ndarray, rows: np.ndarray, n_boot: int = 500,
                 level: float = 0.9, seed: int = 7) -> dict:
    """Skill of a served series vs the baseline on the labelled `rows`,
    with its block-bootstrap CI."""
    rows = rows[series.labelled[rows]]
    model_loss, base_loss = series.loss(served)[rows], series.loss(series.baseline)[rows]
    if len(rows) < 10:
        return {"skill": None, "ci_low": None, "ci_high": None, "n": int(len(rows))}
    low, high = block_bootstrap_skill(model_loss, base_loss, max(series.horizon, 5), n_boot, level,
                                      seed)
    return {"skill": skill_of(model_loss, base_loss), "ci_low": low, "ci_high": high,
            "n": int(len(rows))}


def _label(weights: dict[str, float]) -> str:
    parts = [f"{n}" if w == 1.0 else f"{n} {w:.1f}" for n, w in sorted(weights.items(), key=lambda kv: -kv[1])
             if w > 0]
    return " + ".join(parts)


def backtest_rule(series: SignalSeries, spec: dict, step: int = 63, min_history: int = 252) -> dict:
    """Re-select every `step` rows from the first row with `min_history` matured rows; the served
    series and its score over the rows from that first step to the end."""
    first = next((s for s in range(len(series.y)) if len(matured(series, s)) >= min_history),
                 len(series.y))
    served = np.array(series.baseline, dtype=float, copy=True)
    shares: dict[str, int] = {}
    for start in range(first, len(series.y), step):
        rows = slice(start, min(start + step, len(series.y)))
        weights, _ = choose(series, matured(series, start), spec)
        served[rows] = series.served(weights, rows)
        label = _label(weights)
        shares[label] = shares.get(label, 0) + rows.stop - rows.start
    scored = np.arange(first, len(series.y))
    today, _ = choose(series, matured(series, len(series.y) + series.horizon), spec)
    total = max(sum(shares.values()), 1)
    return {**score_served(series, served, scored), "from": _date(series, first),
            "to": _date(series, -1),
            "served_shares": {k: round(v / total, 3) for k, v in shares.items()}, "today": _label(today)}


def holdout_rule(series: SignalSeries, spec: dict, holdout_start: str = "2019-01-01") -> dict:
    """Choose once on the rows matured before `holdout_start`,
    serve that choice to the end, score it."""
    start = int(np.searchsorted(series.dates, np.datetime64(pd.Timestamp(holdout_start))))
    weights, _ = choose(series, matured(series, start), spec)
    rows = np.arange(start, len(series.y))
    served = series.served(weights, slice(start, len(series.y)))
    full = np.array(series.baseline, dtype=float, copy=True)
    full[start:] = served
    return {**score_served(series, full, rows), "choice": _label(weights),
            "from": _date(series, start)}


def _date(series: SignalSeries, pos: int) -> str | None:
    if not len(series.dates) or pos >= len(series.dates):
        return None
    return str(pd.Timestamp(series.dates[pos]).date())


def pooled_skills(series: SignalSeries) -> dict[str, float]:
    """Each candidate's pooled walk-forward skill over
    every labelled row (what the old headline quotes)."""
    base = series.loss(series.baseline)[series.labelled]
    return {c: skill_of(series.loss(p)[series.labelled], base) for c, p in series.candidates.items()}


def compare_rules(series: SignalSeries, rules: dict[str, dict], step: int = 63,
                  min_history: int = 252, holdout_start: str = "2019-01-01") -> pd.DataFrame:
    """One row per rule: backtest skill [CI], pseudo-hold-out skill, what it serves; `worse_first`
    is the lower of the two skills (the number to quote first)."""
    rows = []
    for name, spec in rules.items():
        bt = backtest_rule(series, spec, step, min_history)
        ho = holdout_rule(series, spec, holdout_start)
        skills = [v for v in (bt["skill"], ho["skill"]) if v is not None]
        worse = min(skills) if skills else None
        rows.append({"signal": series.name, "rule": name, "worse_first": worse,
                     "backtest_skill": bt["skill"], "backtest_ci_low": bt["ci_low"],
                     "backtest_ci_high": bt["ci_high"], "backtest_n": bt["n"], "backtest_from": bt["from"],
                     "served_shares": bt["served_shares"], "today": bt["today"],
                     "holdout_skill": ho["skill"], "holdout_ci_low": ho["ci_low"],
                     "holdout_ci_high": ho["ci_high"], "holdout_choice": ho["choice"], "holdout_n": ho["n"]})
    return pd.DataFrame(rows)
