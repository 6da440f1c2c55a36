"""Buyer engine (PulseWave) nodes: combine the template's per-model predictions into
`buyer_signals`, find the intraday gamma windows, and summarise each model's out-of-sample
result."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aegismatrix.features.intraday import time_of_day_profile
from aegismatrix.market.calendar import next_session, nse_trading_days
from aegismatrix.modelling.headline import headline
from aegismatrix.modelling.selection import choose_candidate, served_name
from aegismatrix.modelling.template import EngineRecords

# Break-even theta ratio per unit of implied sigma for a Brownian path: E[high - low] = sqrt(8/pi)
# sigma, E|close(t+1) - close(t)| = sqrt(2/pi) sigma. A ratio at this value means realised vol =
# implied vol.
BROWNIAN_MOVE_PER_SIGMA = {"range": math.sqrt(8.0 / math.pi), "close": math.sqrt(2.0 / math.pi)}
SIGNAL_COLUMNS = ["date", "breakout_probability", "spike_up_probability", "p_breakout_up",
                  "p_breakout_down",
                  "theta_ratio_forecast", "theta_edge", "model_source"]
SOURCE_COLUMNS = {"breakout": "breakout_model_source", "spike": "spike_model_source",
                  "theta": "theta_model_source"}


def calendar_days_to_next_session(dates: pd.Series) -> np.ndarray:
    """Calendar days of option decay from close t to the next NSE session (Fri -> Mon = 3; longer
    over holidays)."""
    index = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    if index.empty:
        return np.zeros(0)
    sessions = nse_trading_days(index.min(), index.max() + pd.Timedelta(days=15),
                                include_special_sessions=False)
    return np.asarray((next_session(index, sessions) - index).days, dtype=float)


def fair_theta_ratio(dates: pd.Series, move: str = "range",
                     calendar_day_theta: bool = True) -> np.ndarray:
    """The theta ratio at which buyer and seller break even (realised vol = implied vol), per
    decision day.

    The label divides by a one-calendar-day implied move; a session held over a weekend costs
    sqrt(3) times that in premium, so its fair ratio is sqrt(3) times higher when
    `calendar_day_theta`.
    """
    if move not in BROWNIAN_MOVE_PER_SIGMA:
        raise ValueError(f"theta move must be one of {sorted(BROWNIAN_MOVE_PER_SIGMA)}, "
                         f"got {move!r}")
    days = calendar_days_to_next_session(dates) if calendar_day_theta else np.ones(len(dates))
    return BROWNIAN_MOVE_PER_SIGMA[move] * np.sqrt(days)


def _source(sources: pd.DataFrame) -> pd.Series:
    """'model' when every signal of the row comes from a model, 'baseline' when none does, else
    'mixed'."""
    is_model = sources.eq("model")
    return pd.Series(np.where(is_model.all(axis=1), "model",
                              np.where(is_model.any(axis=1), "mixed", "baseline")),
                     index=sources.index)


def served_breakout(candidates: list[str], records: EngineRecords) -> tuple[pd.DataFrame, str]:
    """The breakout candidate served (NIFTY-only or pooled: edge and lowest walk-forward loss) and
    its name, or `baseline:<name>` when none has edge (the first candidate then serves its
    baseline)."""
    chosen = choose_candidate(candidates, {n: records[n].metrics for n in candidates})
    return records[chosen].predictions, served_name(chosen, records[chosen].metrics)


def assemble_buyer_signals(records: EngineRecords, params: dict) -> pd.DataFrame:
    """One row per date: breakout and spike probabilities, their up/down split, the theta forecast
    and edge.

    `records`: every buyer model's record (engines/buyer.py's signals); `params.breakout_candidates`
    lists the breakout models (first: the NIFTY-only one)."""
    candidates = params.get("breakout_candidates", ["breakout"])
    breakout, breakout_model = served_breakout(candidates, records)
    spike, theta = records["spike"].predictions, records["theta"].predictions
    frame = (breakout[["date", "p_breakout", "model_source"]]
             .rename(columns={"p_breakout": "breakout_probability",
                              "model_source": SOURCE_COLUMNS["breakout"]})
             .merge(spike[["date", "p_up", "model_source"]]
                    .rename(columns={"p_up": "spike_up_probability",
                                     "model_source": SOURCE_COLUMNS["spike"]}),
                    on="date", how="inner")
             .merge(theta[["date", "prediction", "model_source"]]
                    .rename(columns={"prediction": "theta_ratio_forecast",
                                     "model_source": SOURCE_COLUMNS["theta"]}),
                    on="date", how="inner")
             .sort_values("date").reset_index(drop=True))
    frame["p_breakout_up"] = frame["breakout_probability"] * frame["spike_up_probability"]
    frame["p_breakout_down"] = frame["breakout_probability"] * (1.0 - frame["spike_up_probability"])
    forecast = frame["theta_ratio_forecast"].clip(lower=1e-3)  # a ratio of moves is positive
    frame["theta_ratio_forecast"] = forecast
    fair = fair_theta_ratio(frame["date"], params.get("theta_move", "range"),
                            params.get("calendar_day_theta", True))
    frame["fair_theta_ratio"] = fair
    frame["theta_edge"] = np.log(fair / forecast.to_numpy())  # > 0: premium rich, sellers' edge
    frame["model_source"] = _source(frame[list(SOURCE_COLUMNS.values())])
    frame["breakout_model"] = breakout_model
    return frame[[*SIGNAL_COLUMNS, "fair_theta_ratio", "breakout_model", *SOURCE_COLUMNS.values()]]


def evening_sessions(start, end) -> pd.DatetimeIndex:
    """Muhurat (one-hour Diwali evening) sessions in [start, end]: their bars would distort a
    time-of-day profile."""
    return nse_trading_days(start, end).difference(
        nse_trading_days(start, end, include_special_sessions=False))


def _interval_minutes(interval: str) -> int:
    unit = interval[-1]
    return int(interval[:-1]) * {"m": 1, "h": 60}[unit]


def _no_windows(reason: str, **extra) -> dict:
    return {"windows": None, "reason": reason, "model_source": "heuristic", **extra}


def find_gamma_windows(market_intraday: pd.DataFrame, params: dict) -> dict:
    """Times of day (exchange time) with the largest realised absolute moves over recent sessions,
    in points.
    """
    if market_intraday is None or market_intraday.empty:
        return _no_windows("no intraday bars in market_intraday "
                           "(the source gave none, e.g. a CSV run)")
    bars = market_intraday
    present = list(pd.unique(bars["interval"].astype(str)))
    preferred = ([i for i in params.get("intervals", ["1m", "5m"]) if i in present]
                 or sorted(present))
    interval = preferred[0]
    bars = bars[bars["interval"].astype(str) == interval]
    sessions = sorted(pd.to_datetime(bars["timestamp"]).dt.normalize().unique())
    evening = evening_sessions(sessions[0], sessions[-1]) if sessions else pd.DatetimeIndex([])
    sessions = [s for s in sessions if s not in evening]
    recent = sessions[-int(params.get("lookback_sessions", 20)):]
    if len(recent) < int(params.get("min_sessions", 3)):
        return _no_windows(f"only {len(recent)} intraday session(s) of {interval} bars; "
                           f"at least {params.get('min_sessions', 3)} are needed",
                           interval=interval)
    bars = bars[pd.to_datetime(bars["timestamp"]).dt.normalize().isin(recent)]
    width = int(params.get("bucket_minutes", 30))
    profile = time_of_day_profile(bars, bucket_minutes=width)
    # moves in points at today's index level
    level = float(bars.sort_values("timestamp")["close"].iloc[-1])
    close_time = ((pd.to_datetime(bars["timestamp"]).dt.hour * 60
                   + pd.to_datetime(bars["timestamp"]).dt.minute).max()
                  + _interval_minutes(interval))
    buckets = []
    for row in profile.itertuples(index=False):
        hh, mm = map(int, row.bucket_start.split(":"))
        end = min(hh * 60 + mm + width, close_time)
        buckets.append({
            "start": row.bucket_start, "end": f"{end // 60:02d}:{end % 60:02d}",
            "typical_abs_move_points": round(float(row.median_abs_move) * level, 2),
            "mean_abs_move_points": round(float(row.mean_abs_move) * level, 2),
            "median_abs_move_pct": float(row.median_abs_move) * 100.0,
            "mean_abs_move_pct": float(row.mean_abs_move) * 100.0,
            "n_sessions": int(row.n_days),
        })
    ranked = sorted(buckets, key=lambda b: b["mean_abs_move_pct"], reverse=True)
    windows = [{**b, "rank": k + 1} for k, b in enumerate(ranked[: int(params.get("top_k", 3))])]
    return {"windows": windows, "reason": None, "model_source": "heuristic", "interval": interval,
            "bucket_minutes": width, "n_sessions": len(recent),
            "first_session": str(pd.Timestamp(recent[0]).date()),
            "last_session": str(pd.Timestamp(recent[-1]).date()), "index_level": level,
            "profile": buckets}


def summarise_buyer_metrics(records: EngineRecords) -> list[dict]:
    """One row per model: out-of-sample score next to its primary baseline, skill with its interval,
    status.

    `records`: each model's metrics and frozen bundle."""
    rows = []
    for record in records:
        metrics, model = record.metrics, record.model
        overall, base = metrics["overall"], metrics["primary_baseline"]
        row = {**headline(metrics), "n_labelled_train_rows": model["meta"]["training_rows"]}
        # pooled instances: the other symbols' rows added to the training folds
        if "pool" in metrics:
            row["pooled_symbols"], row["pooled_rows"] = (len(metrics["pool"]["symbols"]),
                                                         metrics["pool"]["rows"])
        for extra in ("roc_auc", "pr_auc", "brier", "mae"):
            if extra in overall["model"]:
                row[extra] = overall["model"][extra]
                row[f"baseline_{extra}"] = overall["baselines"][base].get(extra)
        rows.append(row)
    return rows
