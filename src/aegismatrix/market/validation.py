"""Per-symbol validation: each check reports findings and applies its configured action.

Actions: `repair` (fix in place where a documented repair exists, otherwise drop), `drop` (remove
the rows), `fail` (raise DataValidationError naming the file/symbol, the check and example dates),
`warn` (report only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.market.calendar import gaps_in_sessions, missing_sessions
from aegismatrix.market.errors import DataValidationError, format_dates

REPORT_COLUMNS = ["symbol", "check", "action", "n_rows", "example_dates", "message"]
ACTIONS = {"repair", "drop", "fail", "warn"}
PRICES = ["open", "high", "low", "close"]

DEFAULT_CHECKS: dict[str, dict[str, Any]] = {
    "temporal": {"action": "repair"},
    "missing_prices": {"action": "drop"},
    "positive_prices": {"action": "drop"},
    "ohlc_logic": {"action": "drop", "repair_tolerance": 0.002},
    "flat_bars": {"action": "warn"},
    "future_dates": {"action": "fail"},
    "price_jump": {"action": "fail", "max_abs_return": 0.5, "vix_max_abs_return": 1.5},
    "implied_vol_unit": {"action": "fail", "min_level": 1.0},
    "volume": {"action": "repair"},
    "implied_vol_bounds": {"action": "drop", "min": 5.0, "max": 150.0},
    "gaps": {"action": "fail", "max_gap_sessions": 10},
    "completeness": {"action": "fail", "max_missing_frac": 0.05, "holidays_per_year": 16},
    "weekend_sessions": {"action": "warn"},
    "stale_open": {"action": "warn", "min_share": 0.5},
}


def finding(symbol: str, check: str, action: str, dates: Any, message: str,
            n_rows: int | None = None) -> dict[str, Any]:
    """One row of the data quality report."""
    dates = list(dates)
    return {"symbol": symbol, "check": check, "action": action,
            "n_rows": int(len(dates) if n_rows is None else n_rows),
            "example_dates": ", ".join(format_dates(dates)), "message": message}


class _Validator:
    """Runs the checks on one symbol's frame, collecting findings."""

    def __init__(self, frame: pd.DataFrame, symbol: str, role: str, checks: dict[str, dict],
                 origin: str | None, volume_meaningful: bool) -> None:
        self.frame, self.symbol, self.role, self.origin = frame.copy(), symbol, role, origin or symbol
        self.checks = {name: {**cfg, **(checks or {}).get(name, {})} for name, cfg in DEFAULT_CHECKS.items()}
        self.volume_meaningful = volume_meaningful
        self.findings: list[dict[str, Any]] = []
        bad = {n: c["action"] for n, c in self.checks.items() if c["action"] not in ACTIONS}
        if bad:
            raise ValueError(f"unknown validation actions {bad}; use one of {sorted(ACTIONS)}")

    def act(self, check: str, mask: pd.Series, message: str, repair=None) -> None:
        """Apply the configured action of `check` to the rows in `mask`."""
        if not mask.any():
            return
        action = self.checks[check]["action"]
        dates = self.frame.loc[mask, "date"]
        if action == "fail":
            raise DataValidationError(self.origin, check, f"{int(mask.sum())} rows: {message}",
                                      dates)
        self.findings.append(finding(self.symbol, check, action, dates, message))
        if action == "repair" and repair is not None:
            self.frame = repair(self.frame, mask)
        elif action in ("repair", "drop"):
            self.frame = self.frame.loc[~mask].reset_index(drop=True)

    def note(self, check: str, dates: Any, message: str, n_rows: int | None = None) -> None:
        """Record a finding that changes nothing (or fail when the check's action is fail)."""
        action = self.checks[check]["action"]
        if action == "fail":
            raise DataValidationError(self.origin, check, message, dates)
        self.findings.append(finding(self.symbol, check, action, dates, message, n_rows))

    def temporal(self) -> None:
        """Unique, sorted dates: repair sorts and keeps the last row of each duplicated date."""
        f = self.frame
        unsorted = f["date"].diff().dt.total_seconds().lt(0)
        if unsorted.any():
            if self.checks["temporal"]["action"] == "fail":
                raise DataValidationError(self.origin, "temporal", "rows are not sorted by date",
                                          f.loc[unsorted, "date"])
            self.note("temporal", f.loc[unsorted, "date"], "rows not sorted by date; sorted")
            self.frame = f.sort_values("date", kind="stable").reset_index(drop=True)
        dup = self.frame["date"].duplicated(keep="last")
        self.act("temporal", dup, "duplicate dates; kept the last row of each")
        today = today_ist()
        self.act("future_dates", self.frame["date"] > today,
                 f"dates after today ({today.date()} in Asia/Kolkata)")
        # completeness judges the source, not rows dropped later
        self.source_dates = self.frame["date"].copy()

    def prices(self) -> None:
        """Missing or non-numeric prices, then non-positive prices."""
        f = self.frame
        missing = f[PRICES].isna().any(axis=1)
        self.act("missing_prices", missing, "missing or non-numeric open/high/low/close",
                 _fill_from_close)
        f = self.frame
        self.act("positive_prices", (f[PRICES] <= 0).any(axis=1), "non-positive price")

    def ohlc(self) -> None:
        """high >= max(open, close) and low <= min(open, close); tiny (rounding) violations are
        always repaired."""
        f = self.frame
        top, bottom = f[["open", "close"]].max(axis=1), f[["open", "close"]].min(axis=1)
        excess = np.maximum((top - f["high"]) / f["high"], (f["low"] - bottom) / f["low"]).fillna(0)
        tol = self.checks["ohlc_logic"]["repair_tolerance"]
        tiny = (excess > 0) & (excess <= tol)
        if tiny.any():
            self.findings.append(finding(self.symbol, "ohlc_logic", "repair", f.loc[tiny, "date"],
                                         f"high/low within {tol:.2%} of "
                                         "open/close (rounding); widened"))
            self.frame = _widen(f, tiny)
        f = self.frame
        top, bottom = f[["open", "close"]].max(axis=1), f[["open", "close"]].min(axis=1)
        self.act("ohlc_logic", (f["high"] < top) | (f["low"] > bottom),
                 f"high < max(open, close) or low > min(open, close) by more than {tol:.2%}", _widen)

    def bars(self) -> None:
        """Flat bars, implied-vol unit and bounds,
        split-like jumps, volume sanity, the VIX's stale open."""
        f = self.frame
        flat = f["open"].eq(f["high"]) & f["high"].eq(f["low"]) & f["low"].eq(f["close"])
        if flat.any():
            self.note("flat_bars", f.loc[flat, "date"], "bars with open = high = low = close")
        if self.role == "vix":
            self._implied_vol()
        f = self.frame
        limit = self.checks["price_jump"]["vix_max_abs_return" if self.role == "vix" else "max_abs_return"]
        # symmetric in log space: a 1:10 split (-90%) and a x10 bad tick are both a factor of 10
        jump = np.log(f["close"] / f["close"].shift()).abs().gt(np.log1p(limit))
        self.act("price_jump", jump,
                 f"close-to-close move by a factor above {1 + limit:g} either way "
                 "(suspected split, unit change or bad tick)")
        self._volume()
        if self.role == "vix":
            f = self.frame
            same = f["open"].sub(f["close"].shift()).abs().lt(0.005)
            if len(f) > 20 and same.mean() >= self.checks["stale_open"]["min_share"]:
                self.note("stale_open", f.loc[same, "date"],
                          f"open equals the previous close on {same.mean():.0%} of days; "
                          "the VIX open is never used", int(same.sum()))

    def _implied_vol(self) -> None:
        """A volatility index in the wrong unit is an error (not rows to drop); then single bad
        ticks are dropped."""
        floor = self.checks["implied_vol_unit"]["min_level"]
        self.act("implied_vol_unit", self.frame["close"] < floor,
                 f"close below {floor} (e.g. 0.14): the volatility index looks quoted as a "
                 "decimal; it is quoted in percent points (India VIX lives at 8-90)")
        cfg = self.checks["implied_vol_bounds"]
        f = self.frame
        self.act("implied_vol_bounds", ~f["close"].between(cfg["min"], cfg["max"]),
                 f"implied vol outside [{cfg['min']}, {cfg['max']}]")

    def _volume(self) -> None:
        """Negative volume is never valid; an index's all-zero volume means 'none'."""
        f = self.frame
        if "volume" not in f:
            self.frame["volume"] = np.nan
            return
        self.act("volume", f["volume"] < 0, "negative volume", _blank_volume)
        f = self.frame
        if not self.volume_meaningful and f["volume"].fillna(0).eq(0).all() and f["volume"].notna().any():
            self.frame = f.assign(volume=np.nan)
            self.note("volume", [], "volume is all zero for an index; stored as missing", 0)

    def calendar(self) -> None:
        """Gaps between sessions, weekend sessions and completeness against the weekday calendar."""
        f = self.frame
        if f.empty:
            raise DataValidationError(self.origin, "completeness", "no rows left after validation")
        max_gap = self.checks["gaps"]["max_gap_sessions"]
        gap = pd.Series(gaps_in_sessions(f["date"]) > max_gap, index=f.index)
        self.act("gaps", gap, f"gap of more than {max_gap} trading days before these dates")
        f = self.frame
        weekend = f["date"].dt.dayofweek >= 5
        if weekend.any():
            self.note("weekend_sessions", f.loc[weekend, "date"],
                      "sessions on a Saturday/Sunday (special sessions)")
        cfg = self.checks["completeness"]
        dates = self.source_dates
        miss = missing_sessions(dates, dates.iloc[0], dates.iloc[-1])
        expected = len(pd.bdate_range(dates.iloc[0], dates.iloc[-1]))
        years = expected / 261
        frac = max(len(miss) - cfg["holidays_per_year"] * years, 0) / max(expected, 1)
        if expected >= cfg.get("min_sessions", 20) and frac > cfg["max_missing_frac"]:
            self.note("completeness", miss,
                      f"{len(miss)} of {expected} weekday sessions missing "
                      f"({frac:.1%} beyond the holiday allowance)", len(miss))


def today_ist() -> pd.Timestamp:
    """Today's date at NSE (Asia/Kolkata) by the session clock,
    naive: no bar can be dated after it."""
    # the one clock read (session imports calendar, as this does)
    from aegismatrix.market import session

    return session.today_ist()


def _fill_from_close(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Fill missing open/high/low from the close; rows without a close are dropped."""
    out = frame.copy()
    for col in ("open", "high", "low"):
        out.loc[mask, col] = out.loc[mask, col].fillna(out.loc[mask, "close"])
    return out.loc[out[PRICES].notna().all(axis=1)].reset_index(drop=True)


def _widen(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Stretch high/low to enclose open and close."""
    out = frame.copy()
    out.loc[mask, "high"] = out.loc[mask, ["open", "high", "close"]].max(axis=1)
    out.loc[mask, "low"] = out.loc[mask, ["open", "low", "close"]].min(axis=1)
    return out


def _blank_volume(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Set the volume of the masked rows to missing."""
    out = frame.copy()
    out.loc[mask, "volume"] = np.nan
    return out


def validate_symbol(
    frame: pd.DataFrame, symbol: str, role: str = "index", checks: dict[str, dict] | None = None,
    origin: str | None = None, volume_meaningful: bool = True,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Validate one symbol's daily bars; return the cleaned frame and its findings."""
    v = _Validator(frame, symbol, role, checks or {}, origin, volume_meaningful)
    for step in (v.temporal, v.prices, v.ohlc, v.bars, v.calendar):
        step()
    return v.frame.reset_index(drop=True), v.findings


def report_frame(findings: list[dict[str, Any]]) -> pd.DataFrame:
    """Findings as the `data_quality_report` frame."""
    return pd.DataFrame(findings, columns=REPORT_COLUMNS).astype({"n_rows": "int64"})
