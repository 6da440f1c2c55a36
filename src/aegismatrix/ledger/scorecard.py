"""The scorecard: matured ledger rows scored against the market, with intervals, rolling windows and
drift flags.

Only matured rows are scored; pending ones are counted. Intervals: Wilson 95% for rates. Drift: over
the last `drift_window` matured rows of a calibrated probability (a range's breach rate, a breakout
or trap probability), the realised rate outside the central binomial band (level `drift_level`)
around what was promised (the range's target, else the mean served probability). Overlapping windows
(h > 1) make outcomes correlated, so the band is too narrow for them: a flag there is a prompt to
look, not proof of a broken model.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy.special import ndtri

from aegismatrix.labels import forward_return
from aegismatrix.ledger import outcomes as O
from aegismatrix.ledger.guard import demoted_counts
from aegismatrix.ledger.market_score import market_vs_model
from aegismatrix.ledger.schema import SCORED_DECISION_TIMES
from aegismatrix.ledger.serve import IN_SAMPLE

CLASS_NAMES = {"DOWN": 0, "NEUTRAL": 1, "UP": 2}
CLASS_KEYS = ("p_down", "p_neutral", "p_up")
# lower/upper are move sizes in points (params: move_signals)
DEFAULT_MOVE_SIGNALS = ("direction.move",)


def wilson(successes: float, n: int, level: float = 0.95) -> list[float] | None:
    """Wilson score interval of a binomial rate."""
    if n <= 0:
        return None
    z = ndtri(0.5 + level / 2)  # norm.ppf; scipy.stats costs ~1.5 s at import
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(centre - half), float(centre + half)]


def binomial_band(p: float, n: int, level: float) -> list[float]:
    """Central band of the rate k/n when k ~ Binomial(n, p)."""
    tail = (1 - level) / 2
    from scipy import stats  # lazy: ~1.5 s, only when a scorecard is computed

    return [float(stats.binom.ppf(tail, n, p) / n), float(stats.binom.ppf(1 - tail, n, p) / n)]


def rolling_series(dates: pd.Series, values: pd.Series, window: int) -> list[dict]:
    """[{date, value}] of the rolling mean over `window` matured rows (one row per session for a
    fixed horizon)."""
    rolled = values.rolling(window, min_periods=window).mean()
    keep = rolled.notna()
    return [{"date": str(d.date()), "value": float(v)} for d, v in zip(dates[keep], rolled[keep])]


def drift_flag(name: str, outcome: pd.Series, promised: float | None, params: dict) -> dict | None:
    """The drift record for the last `drift_window` outcomes,
    or None when there are too few or no promise."""
    window, level = int(params["drift_window"]), float(params["drift_level"])
    recent = outcome.dropna().tail(window)
    if promised is None or not np.isfinite(promised) or len(recent) < window:
        return None
    band = binomial_band(promised, len(recent), level)
    observed = float(recent.mean())
    return {
        "signal": name,
        "observed": observed,
        "expected": float(promised),
        "band": band,
        "n": len(recent),
        "level": level,
        "drifting": bool(observed < band[0] or observed > band[1]),
    }


def _target(group: pd.DataFrame, default: float | None) -> float | None:
    """A range's promised breach rate: the target in its served extras, else the configured one."""
    targets = group["extra"].map(
        lambda e: json.loads(e).get("target_breach_probability") if isinstance(e, str) else None
    )
    targets = pd.to_numeric(targets, errors="coerce").dropna()
    return float(targets.mean()) if len(targets) else default


def range_block(
    name: str, group: pd.DataFrame, scored: pd.DataFrame, default_target: float | None, params: dict
) -> dict:
    """Breach / expire-beyond rates of one range signal over its matured rows,
    rolling, interval and drift."""
    matured = scored[scored["state"] == "matured"].sort_values("as_of_date")
    n = len(matured)
    breaches = float(matured["breach"].sum())
    target = _target(group, default_target)
    block = {
        "n_rows": len(group),
        "n_matured": n,
        "n_pending": int((scored["state"] == "pending").sum()),
        "n_unscorable": int((scored["state"] == "unscorable").sum()),
        "breach_rate": breaches / n if n else None,
        "breach_rate_ci95": wilson(breaches, n),
        "expire_beyond_rate": float(matured["expire_beyond"].mean()) if n else None,
        "mean_breach_probability": _mean_or_none(matured["probability"]),
        "target": target,
        "rolling": {
            str(w): rolling_series(matured["as_of_date"], matured["breach"], w) for w in params["windows"]
        },
    }
    block["drift"] = drift_flag(
        name, matured["breach"], target if target is not None else block["mean_breach_probability"], params
    )
    return block


def _mean_or_none(values: pd.Series) -> float | None:
    """The mean of the known values;
    None when there are none (an all-null mean is NaN, never served)."""
    known = pd.to_numeric(values, errors="coerce").dropna()
    return float(known.mean()) if len(known) else None


def move_block(scored: pd.DataFrame) -> dict:
    """A move-size interval (points of |close(t+h) - close(t)|): how often the realised move fell
    inside it and the mean absolute error of the expected move. No probability is served, so none is
    scored."""
    m = scored[scored["state"] == "matured"].dropna(subset=["realised_move"]).sort_values("as_of_date")
    n, realised = len(m), m["realised_move"]
    inside = ((realised >= m["lower"]) & (realised <= m["upper"])).astype(float)
    return {
        "n_matured": n,
        "n_pending": int((scored["state"] == "pending").sum()),
        "coverage": float(inside.mean()) if n else None,
        "coverage_ci95": wilson(float(inside.sum()), n),
        "mean_abs_error_points": _mean_or_none((m["value"] - realised).abs()),
    }


def realised_moves(market: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Per row: |close(t+h) - close(t)| in index points
    (labels.forward_return); NaN while pending."""
    out = pd.Series(np.nan, index=rows.index)
    pos = pd.DatetimeIndex(market["date"]).normalize().get_indexer(pd.DatetimeIndex(rows["as_of_date"]))
    days = pd.to_numeric(rows["horizon_days"], errors="coerce")
    for h in sorted(days.dropna().unique()):
        pick = ((days == h) & (pos >= 0)).to_numpy()
        points = (market["close"] * forward_return(market, int(h))).abs().to_numpy()
        out[pick] = points[pos[pick]]
    return out


def _qlike(forecast: np.ndarray, realised: np.ndarray) -> float:
    ratio = realised**2 / forecast**2
    return float(np.mean(ratio - np.log(ratio) - 1.0))


def vol_block(scored: pd.DataFrame, params: dict) -> dict:
    """RMSE and QLIKE of the served vol forecast next to
    the naive trailing vol on the same matured rows."""
    m = (
        scored[(scored["state"] == "matured")]
        .dropna(subset=["value", "realised", "naive"])
        .sort_values("as_of_date")
    )
    block = {"n_matured": len(m), "n_pending": int((scored["state"] == "pending").sum())}
    if not len(m):
        return {
            **block,
            "rmse": None,
            "naive_rmse": None,
            "rmse_ratio_to_naive": None,
            "qlike": None,
            "naive_qlike": None,
            "rolling_rmse_ratio": {},
            "series": [],
        }
    err, naive_err = (m["value"] - m["realised"]) ** 2, (m["naive"] - m["realised"]) ** 2
    rmse, naive_rmse = float(np.sqrt(err.mean())), float(np.sqrt(naive_err.mean()))
    rolling = {
        str(w): [
            {"date": str(d.date()), "value": float(v)}
            for d, v in zip(
                m["as_of_date"], np.sqrt(err.rolling(w).mean()) / np.sqrt(naive_err.rolling(w).mean())
            )
            if np.isfinite(v)
        ]
        for w in params["windows"]
    }
    series = [
        {"date": str(d.date()), "forecast": float(f), "realised": float(r)}
        for d, f, r in zip(m["as_of_date"], m["value"], m["realised"])
    ]
    return {
        **block,
        "rmse": rmse,
        "naive_rmse": naive_rmse,
        "rmse_ratio_to_naive": rmse / naive_rmse,
        "qlike": _qlike(m["value"].to_numpy(), m["realised"].to_numpy()),
        "naive_qlike": _qlike(m["naive"].to_numpy(), m["realised"].to_numpy()),
        "rolling_rmse_ratio": rolling,
        "series": series,
    }


def direction_block(scored: pd.DataFrame) -> dict:
    """Log-loss and accuracy of the served class probabilities
    next to the class prior of the matured rows."""
    m = scored[(scored["state"] == "matured")].dropna(subset=["realised_class"])
    served = m["extra"].map(json.loads)
    probs = np.stack(
        [served.map(lambda e, key=k: e.get(key)).to_numpy(dtype=float) for k in CLASS_KEYS], 1
    ).reshape(len(m), 3)
    known = np.isfinite(probs).all(axis=1)  # a row served without class probabilities is not scored
    m, probs = m[known], probs[known]
    if not len(m):
        return {"n_matured": 0, "n_pending": int((scored["state"] == "pending").sum())}
    y = m["realised_class"].to_numpy(dtype=int)
    prior = np.bincount(y, minlength=3) / len(y)
    eps = 1e-12
    return {
        "n_matured": len(m),
        "n_pending": int((scored["state"] == "pending").sum()),
        "log_loss": float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], eps, 1)))),
        "prior_log_loss": float(-np.mean(np.log(np.clip(prior[y], eps, 1)))),
        "accuracy": float(np.mean(probs.argmax(1) == y)),
        "prior_accuracy": float(prior.max()),
        "class_prior": prior.tolist(),
    }


def probability_block(name: str, scored: pd.DataFrame, params: dict) -> dict:
    """Brier and AUC of a served event probability next
    to the base rate of the matured rows; drift."""
    m = (
        scored[(scored["state"] == "matured")]
        .dropna(subset=["probability", "event"])
        .sort_values("as_of_date")
    )
    block = {"n_matured": len(m), "n_pending": int((scored["state"] == "pending").sum())}
    if not len(m):
        return block
    y, p = m["event"].to_numpy(dtype=float), m["probability"].to_numpy(dtype=float)
    base = float(y.mean())
    auc = None
    if 0 < y.sum() < len(y):
        from sklearn.metrics import roc_auc_score

        auc = float(roc_auc_score(y, p))
    return {
        **block,
        "event_rate": base,
        "event_rate_ci95": wilson(y.sum(), len(y)),
        "mean_probability": float(p.mean()),
        "brier": float(np.mean((p - y) ** 2)),
        "base_rate_brier": float(np.mean((base - y) ** 2)),
        "auc": auc,
        "drift": drift_flag(
            name, m["event"], float(m["probability"].tail(int(params["drift_window"])).mean()), params
        ),
    }


def generated_at() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _range_groups(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Range rows by `signal/horizon`; expiry rows of a signal pooled as `signal/expiry`."""
    ranged = rows[rows["lower"].notna() & rows["upper"].notna()]
    if ranged.empty:
        return {}
    key = ranged["signal"] + "/" + np.where(ranged["expiry"].notna(), "expiry", ranged["horizon"])
    return dict(list(ranged.groupby(key)))


def _moves(rows: pd.DataFrame, market: pd.DataFrame) -> dict:
    return {
        key: move_block(
            group.assign(state=O.maturity(market, group),
                         realised_move=realised_moves(market, group))
        )
        for key, group in _range_groups(rows).items()
    }


def _events(rows: pd.DataFrame, market: pd.DataFrame, params: dict) -> dict:
    out = {}
    for name, cfg in (params.get("event_signals") or {}).items():
        group = rows[rows["signal"] == name]
        if len(group):
            scored = group.assign(
                state=O.maturity(market, group),
                event=O.breakout_outcomes(market, group, int(cfg["atr_window"]),
                                          float(cfg["multiplier"])),
            )
            out[name] = probability_block(name, scored, params)
    return out


def _direction(rows: pd.DataFrame, market: pd.DataFrame, params: dict) -> dict:
    group = rows[rows["signal"] == params["direction_signal"]]
    return {
        f"{int(h)}d": direction_block(
            g.assign(state=O.maturity(market, g), realised_class=O.direction_outcomes(market, g))
        )
        for h, g in group.groupby("horizon_days")
    }


def build_scorecard(
    rows: pd.DataFrame, market_daily: pd.DataFrame, params: dict, range_target: float | None
) -> dict:
    """Every scored block from the ledger rows and the market, plus the headline numbers and the
    drift flags."""
    market = market_daily.sort_values("date").reset_index(drop=True)
    rows = rows[rows["decision_time"].isin(SCORED_DECISION_TIMES)]  # never an intraday snapshot
    in_sample = (rows["kind"] == IN_SAMPLE).to_numpy() if "kind" in rows else np.zeros(len(rows), bool)
    rows = rows[~in_sample]  # predictions on their own training data are recorded, never scored
    # a move interval bounds the size of the move in points,
    # not the price: scored as a move, not a range
    is_move = rows["signal"].isin(params.get("move_signals", DEFAULT_MOVE_SIGNALS))
    moves, rows_ranged = _moves(rows[is_move], market), rows[~is_move]
    ranges = {}
    for key, group in _range_groups(rows_ranged).items():
        scored = group.assign(state=O.maturity(market, group)).join(O.range_outcomes(market, group))
        ranges[key] = range_block(key, group, scored, range_target, params)
    vol_rows = rows[rows["signal"] == params["vol_signal"]]
    vol = vol_block(
        vol_rows.assign(state=O.maturity(market, vol_rows)).join(O.vol_outcomes(market, vol_rows)), params
    )
    events = _events(rows, market, params)
    headline = params["headline_range_signal"]
    flags = [b["drift"] for b in [*ranges.values(), *events.values()] if b.get("drift")]
    card = {
        "generated_at": generated_at(),
        "ledger_rows": len(rows) + int(in_sample.sum()),
        "in_sample_rows": int(in_sample.sum()),
        # issue 23: scored as served, i.e. the baseline's values
        "demoted_rows": demoted_counts(rows),
        "market_last_date": str(market["date"].iloc[-1].date()) if len(market) else None,
        "first_as_of": str(rows["as_of_date"].min().date()) if len(rows) else None,
        "last_as_of": str(rows["as_of_date"].max().date()) if len(rows) else None,
    }
    for h in (5, 21):
        block = ranges.get(f"{headline}/{h}d", {})
        card[f"breach_rate_{h}d"] = block.get("breach_rate")
        card[f"n_matured_{h}d"] = block.get("n_matured", 0)
        card[f"n_pending_{h}d"] = block.get("n_pending", 0)
    card["vol_rmse_ratio_to_naive"] = vol["rmse_ratio_to_naive"]
    card.update(
        ranges=ranges,
        volatility=vol,
        moves=moves,
        direction=_direction(rows, market, params),
        events=events,
        # issue 22: same strikes, same rows
        market_vs_model=market_vs_model(rows_ranged, market, params),
        drift_flags=flags,
        drifting=[f["signal"] for f in flags if f["drifting"]],
    )
    check_finite(card)
    return card


class ScorecardError(ValueError):
    """A scorecard number is NaN or infinite (a bug upstream: never saved, never served)."""


def check_finite(tree, path: str = "scorecard") -> None:
    """Raise ScorecardError naming the first non-finite number,
    before the JSON save fails without a name."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            check_finite(value, f"{path}.{key}")
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            check_finite(value, f"{path}[{i}]")
    elif isinstance(tree, float) and not np.isfinite(tree):
        raise ScorecardError(f"{path} is {tree}: the scorecard never stores a non-finite number")
