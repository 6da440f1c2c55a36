"""Checks of NSE option rows before they become `option_chain_daily`, each finding naming file and
rows.

Refused (rows dropped): a non-positive price, a contract that had expired, an expiry that NSE's
dated expiry rules do not allow, a strike off the listed grid, an underlying that disagrees with
`nifty50` on that date, the same contract twice with different values. Flagged (rows kept, said): a
missing settlement price (`-`), an identical duplicate (one kept), an underlying filled from
`nifty50` or not checkable, a day with calls but no puts or puts but no calls (never paired across
days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.market.calendar import nse_trading_days
from aegismatrix.market.expiries import _roll_back, expiry_dates, load_expiry_rules
from aegismatrix.options.nse_files import CONTRACT_COLUMNS, SOURCE_COLUMNS, finding

CHAIN_COLUMNS = [
    *CONTRACT_COLUMNS,
    "underlying_source",
    "lot_size",
    "traded",
    "both_sides",
    *SOURCE_COLUMNS,
]
KEY = ["date", "expiry", "strike", "side"]
VALUES = ["open", "high", "low", "close", "settle", "contracts", "oi", "change_oi"]
PRICES = ["open", "high", "low", "close", "settle"]


def _report(
    rows: pd.DataFrame, mask: pd.Series, check: str, action: str, detail: str, out: list
) -> None:
    """One finding per file for the rows in `mask`."""
    for file, part in rows[mask].groupby("source_file", sort=True):
        out.append(finding(file, part["source_row"], check, action, detail))


def _drop(rows: pd.DataFrame, mask: pd.Series, check: str, detail: str, out: list) -> pd.DataFrame:
    _report(rows, mask, check, "refused", f"rows dropped: {detail}", out)
    return rows[~mask]


def _cycle_days(
    weekday: str, first: pd.Timestamp, last: pd.Timestamp, weekly: bool
) -> pd.DatetimeIndex:
    """Days of one weekday cycle (every such weekday, or each month's last) as listed and after a
    holiday roll-back: a far contract is listed on the nominal day and moved only once the holiday
    is announced."""
    nominal = pd.date_range(
        first - pd.Timedelta(days=7), last + pd.Timedelta(days=7), freq=f"W-{weekday}"
    )
    if not weekly:
        nominal = pd.DatetimeIndex(pd.Series(nominal).groupby(nominal.to_period("M")).max().values)
    sessions = nse_trading_days(
        nominal.min() - pd.Timedelta(days=15), nominal.max(), include_special_sessions=False
    )
    return nominal.union(_roll_back(nominal, sessions))


def expiry_allowed(dates: pd.Series, expiries: pd.Series, underlying: str = "NIFTY") -> np.ndarray:
    """Whether each expiry is one that NSE's dated rules allow: the rules by expiry date
    (market/expiries.py), or the weekday cycle in force on the trade date (contracts listed before a
    change of expiry weekday keep their listed day); weekly expiries only from their listing date.
    """
    first, last = expiries.min(), expiries.max()
    ok = expiries.isin(expiry_dates(first, last, underlying, "monthly")).to_numpy().copy()
    rules = load_expiry_rules()
    for _, rule in rules[rules["underlying"] == underlying].iterrows():
        weekly = rule["kind"] == "weekly"
        listed = pd.Timestamp(rule.get("listed_from") or rule["expiries_from"])
        by_expiry = (expiries >= rule["expiries_from"]) & (expiries <= rule["expiries_to"])
        in_force = (dates >= rule["expiries_from"]) & (dates <= rule["expiries_to"])
        cycle = expiries.isin(_cycle_days(rule["weekday"], first, last, weekly))
        ok |= ((by_expiry | in_force) & cycle & ((dates >= listed) if weekly else True)).to_numpy()
    return ok


def _duplicates(rows: pd.DataFrame, out: list) -> pd.DataFrame:
    """Identical copies of a contract (two formats of one day): keep one; copies that differ: drop
    all."""
    copies = rows.duplicated(KEY, keep=False)
    if not copies.any():
        return rows
    distinct = rows[copies].fillna(dict.fromkeys(VALUES, -1.0)).drop_duplicates(KEY + VALUES)
    conflicting = rows.set_index(KEY).index.isin(
        distinct[distinct.duplicated(KEY, keep=False)].set_index(KEY).index
    )
    rows = _drop(
        rows,
        pd.Series(conflicting, index=rows.index),
        "duplicate_conflicting",
        "the same contract (date, expiry, strike, side) appears with different values",
        out,
    )
    repeat = rows.duplicated(KEY, keep="first")
    _report(
        rows,
        repeat,
        "duplicate_identical",
        "flagged",
        "the same contract twice with equal values: one copy kept",
        out,
    )
    return rows[~repeat]


def _underlying(
    rows: pd.DataFrame, index_close: pd.Series, tolerance: float, out: list
) -> pd.DataFrame:
    """Check the underlying against the index close of the same date; fill it where the file has
    none."""
    close = rows["date"].map(index_close)
    gap = (rows["underlying"] / close - 1.0).abs()
    bad = gap > tolerance
    if bad.any():
        example = rows[bad].iloc[0]
        rows = _drop(
            rows,
            bad,
            "underlying_mismatch",
            f"underlying differs from nifty50 by more than {tolerance:.1%} (e.g. "
            f"{example['underlying']} on {example['date'].date()}, nifty50 {close[bad].iloc[0]})",
            out,
        )
        close = close[~bad]
    source = np.where(
        rows["underlying"].notna(), "file", np.where(close.notna(), "nifty50", "none")
    )
    rows = rows.assign(underlying=rows["underlying"].fillna(close), underlying_source=source)
    _report(
        rows,
        pd.Series(rows["underlying_source"] == "nifty50", index=rows.index),
        "underlying_filled",
        "flagged",
        "no underlying in the file: nifty50's close of the date used",
        out,
    )
    _report(
        rows,
        pd.Series(close.isna().to_numpy(), index=rows.index),
        "underlying_unchecked",
        "flagged",
        "no nifty50 close on this date: the underlying could not be checked",
        out,
    )
    return rows


def _one_sided(rows: pd.DataFrame, out: list) -> pd.DataFrame:
    """Mark (and say, per file) the days that have only calls or only puts: no parity, PCR or IV
    pairing on them, and never a pairing with another day's other side."""
    sides = rows.groupby("date")["side"].nunique()
    both = rows["date"].map(sides) == 2
    for file, part in rows[~both].groupby("source_file", sort=True):
        days = sorted(pd.Timestamp(d).strftime("%Y-%m-%d") for d in part["date"].unique())
        have = "calls" if (part["side"] == "call").all() else "puts"
        out.append(
            finding(
                file,
                part["source_row"],
                "one_sided_day",
                "flagged",
                f"{len(days)} day(s) with {have} only, e.g. {', '.join(days[:3])}: those days' "
                "chains are one-sided (not paired with another day)",
            )
        )
    return rows.assign(both_sides=both.to_numpy())


def _row_checks(rows: pd.DataFrame, grid: float, out: list) -> pd.DataFrame:
    """Checks on each row by itself: prices, expiry against the date and NSE rules, strike grid."""
    non_positive = (rows[PRICES] <= 0).any(axis=1)
    rows = _drop(rows, non_positive, "non_positive_price", "a price at or below zero", out)
    rows = _drop(rows, rows["strike"] <= 0, "non_positive_strike", "a strike at or below zero", out)
    rows = _drop(
        rows,
        rows["expiry"] < rows["date"],
        "expired_contract",
        "an expiry before the trade date",
        out,
    )
    if len(rows):
        allowed = pd.Series(expiry_allowed(rows["date"], rows["expiry"]), index=rows.index)
        example = rows.loc[~allowed, "expiry"].min()
        rows = _drop(
            rows,
            ~allowed,
            "expiry_not_allowed",
            f"an expiry that NSE's expiry rules (conf/base/calendar/expiry_rules.yml) do not allow "
            f"(e.g. {example.date() if pd.notna(example) else '-'})",
            out,
        )
    off_grid = ~np.isclose(np.mod(rows["strike"], grid), 0.0) & ~np.isclose(
        np.mod(rows["strike"], grid), grid
    )
    rows = _drop(
        rows,
        pd.Series(off_grid, index=rows.index),
        "strike_off_grid",
        f"a strike off the {grid:g}-point grid",
        out,
    )
    _report(
        rows,
        rows["settle"].isna(),
        "missing_settle",
        "flagged",
        "no settlement price (`-`): the row is kept for open interest, never priced",
        out,
    )
    return rows


def validate_option_rows(
    rows: pd.DataFrame, index_close: pd.Series, params: dict
) -> tuple[pd.DataFrame, list[dict]]:
    """Clean `option_chain_daily` rows (CHAIN_COLUMNS, sorted) and the findings of every check."""
    out: list[dict] = []
    rows = rows.assign(side=rows["side"].map({"CE": "call", "PE": "put"}).fillna(rows["side"]))
    rows = _row_checks(
        rows.reset_index(drop=True), float(params.get("strike_grid_points", 50)), out
    )
    rows = _duplicates(rows, out)
    index_close = index_close.copy()
    index_close.index = pd.to_datetime(index_close.index).normalize()
    rows = _underlying(rows, index_close, float(params.get("underlying_tolerance", 0.005)), out)
    rows = _one_sided(rows, out)
    rows = rows.assign(
        traded=rows["contracts"] > 0
    )  # lot_size: as the file states it (UDiFF), else null
    return rows.sort_values(KEY).reset_index(drop=True)[CHAIN_COLUMNS], out
