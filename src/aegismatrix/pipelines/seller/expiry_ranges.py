"""Ranges per option expiry: the safe-range method generalised to any number of sessions to an NSE
expiry.

For every decision date t (after the close) and each of the next `n_weekly` weekly expiries and the
current monthly one: the VIX-implied one-sigma move to expiry (calendar days on the NSE calendar), a
multiplier k that is the (1 - target) quantile of past max excursion / implied move ratios in the
same days-to-expiry bucket, from (date, expiry) windows closed by t, the range close -+ k x move,
strikes snapped outward to the grid, and their touch / expire-beyond probabilities as the
out-of-sample frequencies of the same closed windows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.special import ndtr

from aegismatrix.labels import forward_excursion_to_expiry
from aegismatrix.market.calendar import count_sessions_between, nse_trading_days
from aegismatrix.market.events import EXPIRY_KINDS, events_between, load_events
from aegismatrix.market.expiries import next_expiries
from aegismatrix.market.implied import implied_move_fraction

from .causal import causal_exceedance, causal_exceedance_sides, causal_quantile

logger = logging.getLogger(__name__)

# a year never passes without them; elections do
REGULAR_EVENT_KINDS = ("union_budget", "rbi_policy", "fomc")

RANGE_COLUMNS = [
    "date", "expiry", "expiry_kind", "expiry_rank", "trading_days", "calendar_days", "dte_bucket",
    "spot",
    "vix_close", "implied_move_points", "range_multiplier", "lower", "upper", "strike_lower",
    "strike_upper",
    "p_touch", "p_touch_lower", "p_touch_upper", "p_expire_beyond", "target_breach_probability",
    "calibration_samples", "events", "events_table_ends", "model_source",
]
REALISED_COLUMNS = ["realised_touch_range", "realised_touch_strikes", "realised_expire_beyond",
                    "realised_max_move_ratio"]


def expiry_schedule(dates: pd.Series, params: dict) -> pd.DataFrame:
    """One row per (date, expiry): the next n_weekly weekly expiries and the current monthly one,
    with day counts."""
    index = pd.DatetimeIndex(dates)
    parts = []
    for kind, count in (("weekly", int(params["n_weekly"])),
                        ("monthly", 1 if params.get("include_monthly", True) else 0)):
        if count == 0:
            continue
        upcoming = next_expiries(index, count, params.get("underlying", "NIFTY"), kind)
        for rank in range(1, count + 1):
            parts.append(pd.DataFrame({"row": np.arange(len(index)), "date": index,
                                       "expiry_kind": kind,
                                       "expiry_rank": rank,
                                       "expiry": upcoming[f"{kind}_{rank}"].to_numpy()}))
    frame = pd.concat(parts, ignore_index=True)
    sessions = nse_trading_days(index.min() - pd.Timedelta(days=7), frame["expiry"].max(),
                                include_special_sessions=False)
    frame["trading_days"] = count_sessions_between(frame["date"], frame["expiry"], sessions)
    frame["calendar_days"] = (frame["expiry"] - frame["date"]).dt.days
    return frame


def dte_bucket(trading_days, edges: list[int]) -> np.ndarray:
    """The bucket of each days-to-expiry count: the largest edge <= the count (edges ascending,
    first = 1)."""
    edges_arr = np.asarray(sorted(int(e) for e in edges))
    return edges_arr[np.clip(np.searchsorted(edges_arr, np.asarray(trading_days), side="right") - 1,
                             0, None)]


def _outcomes(market: pd.DataFrame, schedule: pd.DataFrame) -> pd.DataFrame:
    """up / down / terminal moves to each row's expiry (labels.py), aligned with `schedule`."""
    parts = []
    for _, group in schedule.groupby(["expiry_kind", "expiry_rank"], sort=False):
        expiry = pd.Series(pd.NaT, index=market.index, dtype="datetime64[ns]")
        expiry.iloc[group["row"].to_numpy()] = group["expiry"].to_numpy()
        moves = forward_excursion_to_expiry(market, expiry).iloc[group["row"].to_numpy()]
        parts.append(moves.set_index(group.index))
    return pd.concat(parts).loc[schedule.index]


def _reflection_touch(z) -> np.ndarray:
    """P(a driftless walk touches z sigmas on one side), by the reflection principle (uncapped)."""
    return 2.0 * (1.0 - ndtr(z))


def _prior_probabilities(z_up: np.ndarray, z_down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touch (reflection principle) and expiry probabilities of a driftless walk at the VIX-implied
    scale."""
    touch = np.minimum(_reflection_touch(z_up) + _reflection_touch(z_down), 1.0)
    return touch, (1.0 - ndtr(z_up)) + (1.0 - ndtr(z_down))


def _calibrate(rows: pd.DataFrame, pool: pd.DataFrame, target: float, params: dict,
               known: str = "expiry", query: str = "date") -> pd.DataFrame:
    """Multiplier, range, strikes and probabilities per row from the closed windows of its bucket.

    A pool window may serve a row once `pool[known]` <= `rows[query]` (daily: expiry <= decision
    date; intraday: the expiry's close instant <= the decision instant)."""
    step, min_history = float(params["strike_step"]), int(params["min_history"])
    k, n = causal_quantile(pool["max_ratio"], pool[known], rows[query], 1.0 - target, min_history,
                           float(params["prior_multiplier"]))
    # arrays: ~25 column ops per bucket
    spot, move = rows["spot"].to_numpy(), rows["move"].to_numpy()
    lower, upper = spot - k * move * spot, spot + k * move * spot
    strike_lower, strike_upper = np.floor(lower / step) * step, np.ceil(upper / step) * step
    z_up, z_down = (strike_upper / spot - 1.0) / move, (1.0 - strike_lower / spot) / move
    touch, touch_upper, touch_lower, _ = causal_exceedance_sides(
        pool[known], pool["up_ratio"], pool["down_ratio"], rows[query], z_up, z_down)
    expire, _ = causal_exceedance(pool[known], pool["terminal_ratio"], -pool["terminal_ratio"],
                                  rows[query], z_up, z_down)
    prior_touch, prior_expire = _prior_probabilities(z_up, z_down)
    calibrated = n >= min_history
    return pd.DataFrame({
        "range_multiplier": k, "calibration_samples": n, "lower": lower, "upper": upper,
        "strike_lower": strike_lower, "strike_upper": strike_upper,
        "p_touch": np.where(calibrated, touch, prior_touch),
        "p_touch_upper": np.where(calibrated, touch_upper,
                                  np.minimum(_reflection_touch(z_up), 1.0)),
        "p_touch_lower": np.where(calibrated, touch_lower,
                                  np.minimum(_reflection_touch(z_down), 1.0)),
        "p_expire_beyond": np.where(calibrated, expire, prior_expire),
        "model_source": np.where(calibrated, "calibrated", "prior"),
    }, index=rows.index)


def _pool(frame: pd.DataFrame, keys: tuple[str, ...] = ("date", "expiry")) -> pd.DataFrame:
    """Closed windows, one per (date, expiry) (intraday: per instant and expiry; a monthly expiry
    that is also a weekly one counts once)."""
    return frame.dropna(subset=["max_ratio"]).drop_duplicates(list(keys))


def _table_ends(frame: pd.DataFrame) -> list[str]:
    """Per row, the regular event kinds whose committed table ends before its expiry (its `events`
    may miss them)."""
    table = load_events()
    last = table[table["kind"].isin(REGULAR_EVENT_KINDS)].groupby("kind")["effective_session"].max()
    stale = [(kind, day) for kind, day in last.items()]
    per_expiry = {expiry: "; ".join(f"{kind} {day.date()}" for kind, day in stale if expiry > day)
                  # ~9,700 rows share a few hundred expiries
                  for expiry in frame["expiry"].unique()}
    ends = [per_expiry[expiry] for expiry in frame["expiry"]]
    if any(ends):
        logger.warning("seller_expiry_ranges: the event table ends before some expiries (%s); "
                       "extend conf/base/calendar/events.yml", next(e for e in ends if e))
    return ends


def _event_lists(frame: pd.DataFrame) -> list[str]:
    """Scheduled events with their first NSE session in (t, expiry], as 'kind YYYY-MM-DD' joined by
    '; '."""
    events = events_between(frame["date"].min(), frame["expiry"].max(), include_expiries=False)
    # sorted by session: each row's events are one slice
    events = events[~events["kind"].isin(EXPIRY_KINDS)]
    sessions = events["effective_session"].to_numpy()
    labels = (events["kind"] + " " + events["effective_session"].dt.strftime("%Y-%m-%d")).tolist()
    first = np.searchsorted(sessions, frame["date"].to_numpy(), side="right")
    last = np.searchsorted(sessions, frame["expiry"].to_numpy(), side="right")
    joined: dict[tuple[int, int], str] = {}  # ~9,000 rows share a few hundred distinct slices
    return [joined.setdefault((a, b), "; ".join(labels[a:b]))
            for a, b in zip(first.tolist(), last.tolist())]


def _with_ratios(market: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The schedule of every decision date with spot, VIX, implied move and the outcome ratios
    (NaN until expiry)."""
    schedule = expiry_schedule(market["date"], params)
    rows = schedule.join(_outcomes(market, schedule))
    rows["spot"] = market["close"].to_numpy()[rows["row"]]
    rows["vix_close"] = market["vix_close"].to_numpy()[rows["row"]]
    rows["move"] = implied_move_fraction(rows["vix_close"], calendar_days=rows["calendar_days"])
    rows["up_ratio"], rows["down_ratio"] = rows["up"] / rows["move"], rows["down"] / rows["move"]
    rows["max_ratio"] = np.maximum(rows["up_ratio"], rows["down_ratio"])
    rows["terminal_ratio"] = rows["terminal"] / rows["move"]
    rows["dte_bucket"] = dte_bucket(rows["trading_days"], params["dte_buckets"])
    return rows


def _realised(rows: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """Outcomes of the published levels (from labels.py moves; NaN until the expiry has closed)."""
    spot, known = rows["spot"], rows["up"].notna()
    beyond = {
        "realised_touch_range": ((rows["up"] > out["upper"] / spot - 1)
                                 | (rows["down"] > 1 - out["lower"] / spot)),
        "realised_touch_strikes": ((rows["up"] > out["strike_upper"] / spot - 1)
                                   | (rows["down"] > 1 - out["strike_lower"] / spot)),
        "realised_expire_beyond": ((rows["terminal"] > out["strike_upper"] / spot - 1)
                                   | (rows["terminal"] < out["strike_lower"] / spot - 1)),
    }
    realised = pd.DataFrame({name: hit.astype(float).where(known) for name, hit in beyond.items()},
                            index=rows.index)
    # max excursion / implied move: for the VIX comparison
    realised["realised_max_move_ratio"] = rows["max_ratio"]
    return realised


def _decision_market(market_daily: pd.DataFrame) -> pd.DataFrame:
    market = market_daily.sort_values("date").reset_index(drop=True)
    missing = market["close"].isna() | market["vix_close"].isna()
    if missing.any():
        logger.warning("seller_expiry_ranges: %d dates without close or India VIX get no expiry "
                       "range (e.g. %s)", int(missing.sum()),
                       ", ".join(str(d.date()) for d in market.loc[missing, "date"].head(3)))
    return market[~missing].reset_index(drop=True)


def build_expiry_ranges(market_daily: pd.DataFrame,
                        seller_params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`seller_expiry_ranges` (one row per date and expiry) and `seller_strike_ladder`
    (latest date)."""
    params = seller_params["expiry_ranges"]
    target = float(seller_params["safe_range"]["target_breach_probability"])
    rows = _with_ratios(_decision_market(market_daily), params)
    parts = [_calibrate(group, _pool(group), target, params)
             for _, group in rows.groupby("dte_bucket")]
    out = rows[["date", "expiry", "expiry_kind", "expiry_rank", "trading_days", "calendar_days",
                "dte_bucket",
                "spot", "vix_close"]].join(pd.concat(parts))
    out["implied_move_points"] = rows["move"] * rows["spot"]
    out["target_breach_probability"] = target
    out["events"], out["events_table_ends"] = _event_lists(out), _table_ends(out)
    frame = out[RANGE_COLUMNS].join(_realised(rows, out))
    frame = frame.sort_values(["date", "expiry_kind", "expiry_rank"], ascending=[True, False, True])
    return frame.reset_index(drop=True), strike_ladder(rows, params)


def strike_ladder(rows: pd.DataFrame, params: dict, known: str = "expiry", query: str = "date",
                  pool_keys: tuple[str, ...] = ("dte_bucket",)) -> pd.DataFrame:
    """Latest date (or instant: `query`): P(touch) and P(expire beyond) for strikes around spot on
    each expiry (one side per strike), from the closed windows that share the row's `pool_keys`."""
    latest = rows[rows[query] == rows[query].max()]
    step, width, min_history = (float(params["strike_step"]), int(params["ladder_strikes"]),
                                int(params["min_history"]))
    frames = []
    for _, row in latest.iterrows():
        strikes = np.round(row["spot"] / step) * step + step * np.arange(-width, width + 1)
        call_side = strikes >= row["spot"]
        z = np.abs(strikes / row["spot"] - 1.0) / row["move"]
        z_up, z_down = np.where(call_side, z, np.inf), np.where(call_side, np.inf, z)
        same = np.logical_and.reduce([rows[key] == row[key] for key in pool_keys])
        pool = _pool(rows[same], ("date", "expiry") if query == "date" else (query, "expiry"))
        when = np.repeat(pd.Timestamp(row[query]).to_datetime64(), len(strikes))
        touch, n = causal_exceedance(pool[known], pool["up_ratio"], pool["down_ratio"], when, z_up,
                                     z_down)
        expire, _ = causal_exceedance(pool[known], pool["terminal_ratio"], -pool["terminal_ratio"],
                                      when,
                                      z_up, z_down)
        prior_touch, prior_expire = _prior_probabilities(z_up, z_down)
        calibrated = n >= min_history
        frames.append(pd.DataFrame({
            "date": row["date"], "expiry": row["expiry"], "expiry_kind": row["expiry_kind"],
            "expiry_rank": row["expiry_rank"], "strike": strikes,
            "side": np.where(call_side, "call", "put"),
            "distance_points": strikes - row["spot"],
            "p_touch": np.where(calibrated, touch, prior_touch),
            "p_expire_beyond": np.where(calibrated, expire, prior_expire), "calibration_samples": n,
            "model_source": np.where(calibrated, "calibrated", "prior")}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["date", "expiry", "expiry_kind", "expiry_rank", "strike", "side",
                 "distance_points",
                 "p_touch", "p_expire_beyond", "calibration_samples", "model_source"])
