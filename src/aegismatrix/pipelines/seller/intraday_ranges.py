"""Intraday expiry ranges (issue 24): the expiry ranges and strike ladder recomputed around the live
spot at an instant of an open NSE session, with the time left to each expiry in fractional sessions.

At instant tau of session d (IST): spot = the close of the last intraday bar completed by tau; the
VIX and every daily input are those of the last completed session p (the session before d). Time
left to expiry E: `remaining_sessions` = (fraction of d's session left) + (sessions after d up to
E); the implied move scales with it through calendar days, VIX/100 x sqrt(c/365) with c = (E - d) +
fraction left x (d - p) days, which equals the daily method's (E - p) before the open and (E - d) at
the close. The multiplier k and the probabilities come from the same causal calibration as the daily
expiry ranges (expiry_ranges._calibrate), over INTRADAY windows of the same time of day and the same
days-to-expiry bucket (sessions after p): the move from the spot at tau to the extremes of the rest
of d (intraday bars) and of d+1 .. E (daily highs and lows), each window usable once E has closed
(15:30 IST of E) before the decision instant.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aegismatrix.labels import forward_excursion_to_expiry
from aegismatrix.market.calendar import nse_trading_days
from aegismatrix.market.implied import implied_move_fraction
from aegismatrix.market.intraday_bars import SESSION_CLOSE, SESSION_OPEN, interval_length
from aegismatrix.market.session import replay_instant

from .expiry_calibration import _summary
from .expiry_ranges import (
    RANGE_COLUMNS,
    _calibrate,
    _event_lists,
    _pool,
    _realised,
    dte_bucket,
    expiry_schedule,
    strike_ladder,
)

IST = "Asia/Kolkata"
INTRADAY_COLUMNS = [
    "date", "time", "decision_at", "last_completed_session", "prev_close", "move_since_close",
    "day_open", "day_high", "day_low", "session_fraction_left", "remaining_sessions",
    "effective_calendar_days",
    *[c for c in RANGE_COLUMNS if c not in ("date", "events_table_ends")], "calibration",
]
# expiry_ranges' outcome columns -> the intraday_signals names
OUTCOMES = {"realised_touch_range": "touched", "realised_touch_strikes": "touched_strikes",
            "realised_expire_beyond": "expired_beyond", "realised_max_move_ratio": "max_move_ratio"}


def _session_fraction_left(time_of_day) -> np.ndarray:
    """Share of the NSE continuous session (09:15-15:30 IST) still ahead at each time of day, in
    [0, 1].

    Regular sessions only (special sessions are excluded from intraday ranges); hours:
    market/session.py."""
    length = SESSION_CLOSE - SESSION_OPEN
    left = (SESSION_CLOSE - pd.to_timedelta(time_of_day)) / length
    return np.clip(np.asarray(left, dtype=float), 0.0, 1.0)


def _bars_of(market_intraday: pd.DataFrame,
             interval: str | None) -> tuple[pd.DataFrame, pd.Timedelta]:
    """One interval's bars of regular sessions (the finest present unless `interval` is given), with
    bar ends."""
    present = sorted(pd.unique(market_intraday["interval"].astype(str)), key=interval_length)
    if not present or (interval and interval not in present):
        raise ValueError(f"market_intraday has no {interval or 'intraday'} bars "
                         f"(intervals present: {present})")
    chosen = interval or present[0]
    of_interval = market_intraday["interval"].astype(str) == chosen
    bars = market_intraday[of_interval].sort_values("timestamp")
    days = pd.DatetimeIndex(bars["date"].unique())
    regular = nse_trading_days(days.min(), days.max(), include_special_sessions=False)
    bars = bars[bars["date"].isin(regular)].reset_index(drop=True)
    length = interval_length(chosen)
    return bars.assign(end=bars["timestamp"] + length), length


def instants(market_intraday: pd.DataFrame, market_daily: pd.DataFrame, times: list[str],
             interval: str | None = None) -> pd.DataFrame:
    """One row per (session with bars, time of day): spot, the day so far, the rest of the day's
    extremes (NaN when the session's bars stop before 15:30) and the last completed session's close
    and VIX."""
    bars, _ = _bars_of(market_intraday, interval)
    daily = market_daily.sort_values("date").reset_index(drop=True)
    parts = []
    for hhmm in times:
        at = pd.Timedelta(f"{hhmm}:00") if len(str(hhmm)) == 5 else pd.Timedelta(str(hhmm))
        done = bars["end"] <= bars["date"] + at
        so_far = bars[done].groupby("date").agg(spot=("close", "last"), day_open=("open", "first"),
                                               day_high=("high", "max"), day_low=("low", "min"))
        rest = bars[~done].groupby("date").agg(rest_high=("high", "max"), rest_low=("low", "min"))
        ends = bars.groupby("date")["end"].max()
        frame = so_far.join(rest).join(ends.rename("last_bar_end")).reset_index()
        frame["time"] = f"{at.components.hours:02d}:{at.components.minutes:02d}"
        frame["decision_at"] = frame["date"] + at
        complete = frame["last_bar_end"] >= frame["date"] + SESSION_CLOSE
        # nothing of the day left to trade
        at_close = frame["decision_at"] >= frame["date"] + SESSION_CLOSE
        frame.loc[at_close, ["rest_high", "rest_low"]] = [-np.inf, np.inf]
        frame.loc[~complete & ~at_close, ["rest_high", "rest_low"]] = np.nan
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    position = np.searchsorted(daily["date"].to_numpy(), frame["date"].to_numpy(), side="left") - 1
    # a session without a completed one before it
    frame = frame[position >= 0].reset_index(drop=True)
    previous = daily.iloc[position[position >= 0]].reset_index(drop=True)
    frame["last_completed_session"] = previous["date"]
    frame["prev_close"], frame["vix_close"] = previous["close"], previous["vix_close"]
    usable = frame["vix_close"].notna() & frame["prev_close"].notna()
    return frame[usable].sort_values(["decision_at"]).reset_index(drop=True)


def _future_extremes(market: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per row: highest high, lowest low over sessions d+1 .. expiry and the close of the expiry
    session, from the daily bars (labels.py's window); NaN while the expiry has not closed. An
    expiry on d itself: none, and d's close."""
    daily = market.sort_values("date").reset_index(drop=True)
    dates = daily["date"].to_numpy()
    position = np.searchsorted(dates, rows["date"].to_numpy())
    found = dates[np.minimum(position, len(dates) - 1)] == rows["date"].to_numpy()
    on_file = (position < len(dates)) & found
    out = pd.DataFrame({"fut_high": np.nan, "fut_low": np.nan, "expiry_close": np.nan},
                       index=rows.index)
    for _, group in rows[on_file].groupby(["expiry_kind", "expiry_rank"], sort=False):
        at = position[rows.index.get_indexer(group.index)]
        expiry = pd.Series(pd.NaT, index=daily.index, dtype="datetime64[ns]")
        expiry.iloc[at] = group["expiry"].to_numpy()
        moves = forward_excursion_to_expiry(daily, expiry).iloc[at]
        close = daily["close"].to_numpy()[at]
        today = (group["expiry"] == group["date"]).to_numpy()
        out.loc[group.index, "fut_high"] = np.where(today, -np.inf,
                                                    close * (1 + moves["up"].to_numpy()))
        out.loc[group.index, "fut_low"] = np.where(today, np.inf,
                                                   close * (1 - moves["down"].to_numpy()))
        out.loc[group.index, "expiry_close"] = np.where(today, close,
                                                        close * (1 + moves["terminal"].to_numpy()))
    return out


def _with_ratios(points: pd.DataFrame, market_daily: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Each instant x each upcoming expiry: remaining time, implied move, outcome ratios
    (NaN until known)."""
    # expiries after p: today's included
    schedule = expiry_schedule(points["last_completed_session"], params)
    rows = schedule.drop(columns=["date"]).join(points.drop(columns=["vix_close"]), on="row")
    rows["vix_close"] = points["vix_close"].to_numpy()[rows["row"]]
    fraction = _session_fraction_left(rows["decision_at"] - rows["date"])
    rows["session_fraction_left"] = fraction
    rows["remaining_sessions"] = rows["trading_days"] - 1 + fraction
    gap_days = (rows["date"] - rows["last_completed_session"]).dt.days
    rows["effective_calendar_days"] = (rows["expiry"] - rows["date"]).dt.days + fraction * gap_days
    rows["move"] = implied_move_fraction(rows["vix_close"],
                                         calendar_days=rows["effective_calendar_days"])
    future = _future_extremes(market_daily, rows)
    spot = rows["spot"]
    rows["up"] = np.maximum(rows["rest_high"], future["fut_high"]) / spot - 1.0
    rows["down"] = 1.0 - np.minimum(rows["rest_low"], future["fut_low"]) / spot
    rows["terminal"] = future["expiry_close"] / spot - 1.0
    rows["up_ratio"], rows["down_ratio"] = rows["up"] / rows["move"], rows["down"] / rows["move"]
    rows["max_ratio"] = np.maximum(rows["up_ratio"], rows["down_ratio"])
    rows["terminal_ratio"] = rows["terminal"] / rows["move"]
    rows["dte_bucket"] = dte_bucket(rows["trading_days"], params["dte_buckets"])
    rows["known_at"] = rows["expiry"] + SESSION_CLOSE  # the window closes with the expiry's session
    return rows.reset_index(drop=True)


def _calibration_text(frame: pd.DataFrame, target: float) -> list[str]:
    """The calibration each row was served, in words."""
    columns = ["range_multiplier", "calibration_samples", "time", "dte_bucket", "model_source"]
    return [f"k = {k:.3f}: the {1 - target:.0%} quantile of max move / implied move over {n} "
            f"closed {t} IST windows with {b} session(s) to expiry after the last close"
            if source == "calibrated" else
            f"prior k = {k:.3f} (only {n} closed {t} IST windows with {b} session(s) to expiry; "
            f"probabilities: driftless walk at the VIX-implied scale)"
            for k, n, t, b, source in zip(*(frame[c] for c in columns))]


def intraday_ranges(market_daily: pd.DataFrame, market_intraday: pd.DataFrame, seller_params: dict,
                    times: list[str],
                    interval: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(`intraday_signals`: one row per instant and expiry with its outcomes when known, the strike
    ladder of the latest instant). Each row is calibrated on the earlier closed windows at its own
    time of day."""
    params = seller_params["expiry_ranges"]
    target = float(seller_params["safe_range"]["target_breach_probability"])
    rows = _with_ratios(instants(market_intraday, market_daily, times, interval), market_daily,
                        params)
    calibrate = {"known": "known_at", "query": "decision_at"}
    slim = rows[["time", "dte_bucket", "decision_at", "expiry", "known_at", "spot", "move",
                 "max_ratio",
                 # the calibration's columns: ~3x faster groups
                 "up_ratio", "down_ratio", "terminal_ratio"]]
    parts = [_calibrate(group, _pool(group, ("decision_at", "expiry")), target, params, **calibrate)
             for _, group in slim.groupby(["time", "dte_bucket"])]
    out = rows.join(pd.concat(parts))
    out["implied_move_points"] = rows["move"] * rows["spot"]
    out["move_since_close"] = rows["spot"] - rows["prev_close"]
    out["target_breach_probability"] = target
    out["events"] = _event_lists(out)
    out["calibration"] = _calibration_text(out, target)
    frame = out[INTRADAY_COLUMNS].join(_realised(rows, out).rename(columns=OUTCOMES))
    frame = frame.sort_values(["decision_at", "expiry_kind", "expiry_rank"],
                              ascending=[True, False, True])
    ladder = strike_ladder(rows, params, pool_keys=("time", "dte_bucket"), **calibrate)
    return frame.reset_index(drop=True), ladder


def intraday_range_calibration(signals: pd.DataFrame, seller_params: dict) -> dict:
    """Per time of day and expiry: the out-of-sample touch rates of the calibrated rows whose expiry
    has closed (expiry_calibration's summary), overall and per year."""
    target = float(seller_params["safe_range"]["target_breach_probability"])
    renamed = signals.rename(columns={short: long for long, short in OUTCOMES.items()})
    calibrated = renamed["model_source"] == "calibrated"
    closed = renamed[calibrated & renamed["realised_touch_range"].notna()]
    result = {"rule": "causal: each row uses only windows of its time of day and days-to-expiry "
                      "bucket whose expiry closed before its decision instant",
                      "target_breach_probability": target,
              "times": {}}
    for (when, kind, rank), rows in closed.groupby(["time", "expiry_kind", "expiry_rank"]):
        if len(rows) < 20:
            continue
        summary = _summary(rows, target)
        summary["by_year"] = [{"year": int(y), "n": int(len(g)),
                               "touch_rate_range": float(g["realised_touch_range"].mean()),
                               "mean_p_touch_strikes": float(g["p_touch"].mean()),
                               "touch_rate_strikes": float(g["realised_touch_strikes"].mean())}
                              for y, g in rows.groupby(rows["date"].dt.year)]
        result["times"].setdefault(when, {})[f"{kind}_{rank}"] = summary
    if not result["times"]:
        result["reason"] = "fewer than 20 calibrated intraday rows with a closed expiry"
    return result


def decision_instant(market_intraday: pd.DataFrame, inference_params: dict,
                     interval: str | None = None) -> pd.Timestamp:
    """The intraday decision instant in IST (tz-naive, to the minute): `inference.decision_at`
    (ISO with a zone), else the end of the last intraday bar; never the server's clock."""
    stamp = replay_instant(inference_params)
    if stamp is not None:
        return stamp.tz_convert(IST).tz_localize(None).floor("min")
    bars, _ = _bars_of(market_intraday, interval)
    return pd.Timestamp(bars["end"].max()).floor("min")


def _context(row: pd.Series, instant: pd.Timestamp, interval: str, last_bar_end) -> dict:
    """The live market at the instant: spot, move since the last close, the day's range so far."""
    return {
        "decision_at": instant.tz_localize(IST).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decision_at_ist": instant.strftime("%Y-%m-%dT%H:%M:%S+05:30"),
        "session": str(instant.date()),
        "last_completed_session": str(row["last_completed_session"].date()),
        "spot": float(row["spot"]), "previous_close": float(row["prev_close"]),
        "move_since_close": round(float(row["move_since_close"]), 2),
        "move_since_close_pct": round(100.0 * float(row["move_since_close"])
                                      / float(row["prev_close"]), 4),
        "day_open": float(row["day_open"]), "day_high": float(row["day_high"]),
        "day_low": float(row["day_low"]),
        "day_range_points": round(float(row["day_high"] - row["day_low"]), 2),
        "session_fraction_left": round(float(row["session_fraction_left"]), 4),
        "bar_interval": interval, "last_bar_end": pd.Timestamp(last_bar_end).strftime("%H:%M"),
    }


def intraday_snapshot(market_daily: pd.DataFrame, market_intraday: pd.DataFrame,
                      seller_params: dict,
                      inference_params: dict,
                      decision_time: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """decision_time=intraday: the expiry ranges and ladder of the decision instant and the live
    context; other decision times: empty frames and {}. Only bars completed by the instant and daily
    rows before its session are used (a CSV replay may hold the rest of the day)."""
    if decision_time != "intraday":
        return pd.DataFrame(columns=INTRADAY_COLUMNS), pd.DataFrame(), {}
    if market_intraday is None or market_intraday.empty:
        raise ValueError("decision_time=intraday needs intraday bars and market_intraday is empty "
                         "(csv: <csv_dir>/intraday/<index_key>_<interval>.csv[.gz], "
                         "data_ingestion.intraday.csv_intervals)")
    interval = (seller_params.get("intraday") or {}).get("interval")
    instant = decision_instant(market_intraday, inference_params, interval)
    bars, length = _bars_of(market_intraday, interval)
    bars = bars[bars["end"] <= instant].drop(columns=["end"])
    session = instant.normalize()
    if not (bars["date"] == session).any():
        shown = bars["interval"].iloc[0] if len(bars) else interval
        raise ValueError(f"no {shown} bar of {session.date()} completed by {instant} IST: the "
                         "session is not open yet, or is not a session")
    daily = market_daily[market_daily["date"] < session]
    signals, ladder = intraday_ranges(daily, bars, seller_params, [instant.strftime("%H:%M")],
                                      str(bars["interval"].iloc[0]))
    now = signals[signals["date"] == session].reset_index(drop=True)
    context = _context(now.iloc[0], instant, str(bars["interval"].iloc[0]),
                       bars["timestamp"].max() + length)
    return now, ladder, context


def clock_times(times) -> list[str]:
    """'HH:MM' per entry of a list or a ';'/space separated string (kedro's --params splits on
    commas); an integer is YAML 1.1's reading of an unquoted 11:00 (sexagesimal minutes: 660)."""
    items = times if isinstance(times, list | tuple) else [times] if times is not None else []
    out = []
    for value in items:
        parts = ([f"{value // 60:02d}:{value % 60:02d}"] if isinstance(value, int)
                 else re.split(r"[;\s]+", str(value).strip()))
        for text in filter(None, parts):
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
                raise ValueError(f"backfill.times entry {value!r} is not an IST clock time HH:MM")
            out.append(text)
    return out


def backfill_intraday_signals(market_daily: pd.DataFrame, market_intraday: pd.DataFrame,
                              seller_params: dict,
                              backfill_params: dict,
                              decision_time: str) -> tuple[pd.DataFrame, dict]:
    """decision_time=intraday: `intraday_signals` at every `backfill.times` of every session with
    bars (each row calibrated on the windows closed before it; no trained model is involved, so
    backfill.start, which bounds the ledger's rows, does not apply) and their out-of-sample
    calibration; other decision times: an empty frame and the reason."""
    if decision_time != "intraday":
        reason = {"reason": f"decision_time is {decision_time}"}
        return pd.DataFrame(columns=INTRADAY_COLUMNS), reason
    times = clock_times(backfill_params.get("times"))
    if not times:
        raise ValueError("decision_time=intraday backfills at backfill.times, "
                         'e.g. ["11:00", "13:00"] (IST)')
    if market_intraday is None or market_intraday.empty:
        raise ValueError("decision_time=intraday needs intraday bars and market_intraday is empty")
    interval = (seller_params.get("intraday") or {}).get("interval")
    signals, _ = intraday_ranges(market_daily, market_intraday, seller_params, times, interval)
    return signals, intraday_range_calibration(signals, seller_params)
