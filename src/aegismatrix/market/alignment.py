"""Join the index and its implied-volatility index on the index's trading dates."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.validation import finding

log = logging.getLogger(__name__)
MARKET_DAILY_COLUMNS = ["date", "open", "high", "low", "close", "volume", "vix_high", "vix_low",
                        "vix_close", "vix_filled"]


def align_index_vix(index: pd.DataFrame, vix: pd.DataFrame, max_ffill_days: int = 3,
                    index_key: str = "nifty50",
                    vix_key: str = "indiavix") -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Return `market_daily` and alignment findings; the VIX open is dropped (it repeats the
    previous close)."""
    v = vix[["date", "high", "low", "close"]].rename(columns={"high": "vix_high", "low": "vix_low",
                                                              "close": "vix_close"})
    merged = index[["date", "open", "high", "low", "close", "volume"]].merge(v, on="date", how="left")
    findings: list[dict[str, Any]] = []
    extra = v.loc[~v["date"].isin(index["date"]), "date"]
    if len(extra):
        findings.append(finding(vix_key, "alignment", "drop", extra,
                                f"{vix_key} rows on dates without a {index_key} session"))
    before = merged["date"] < v["date"].min() if len(v) else pd.Series(True, index=merged.index)
    if before.any():
        findings.append(finding(index_key, "alignment", "drop", merged.loc[before, "date"],
                                f"{index_key} rows before the first {vix_key} date"))
    merged = merged.loc[~before].reset_index(drop=True)
    missing = merged["vix_close"].isna()
    run_id = (~missing).cumsum()
    run_len = missing.groupby(run_id).cumsum()  # position inside each run of missing VIX days
    fillable = missing & (run_len <= max_ffill_days)
    vix_cols = ["vix_high", "vix_low", "vix_close"]
    merged[vix_cols] = merged[vix_cols].ffill()
    too_long = missing & ~fillable
    merged.loc[too_long, vix_cols] = float("nan")
    merged["vix_filled"] = fillable.to_numpy()
    if fillable.any():
        findings.append(finding(vix_key, "alignment", "repair", merged.loc[fillable, "date"],
                                f"{vix_key} missing on {index_key} sessions; forward-filled "
                                f"(vix_filled=True, at most {max_ffill_days} days)"))
    if too_long.any():
        findings.append(finding(vix_key, "alignment", "drop", merged.loc[too_long, "date"],
                                f"{vix_key} missing for more than "
                                f"{max_ffill_days} sessions; rows dropped"))
    _refuse_truncation(merged, too_long, index_key, vix_key, max_ffill_days)
    out = merged.loc[~too_long, MARKET_DAILY_COLUMNS].reset_index(drop=True)
    log.info("aligned %s and %s: %d rows, %d VIX days forward-filled, %d rows dropped", index_key,
             vix_key, len(out), int(fillable.sum()), int(too_long.sum() + before.sum()))
    return out.astype({"vix_filled": bool}), findings


def _refuse_truncation(merged: pd.DataFrame, dropped: pd.Series, index_key: str, vix_key: str,
                       max_ffill: int) -> None:
    """Dropping the LAST index sessions for VIX gaps would
    silently move data_as_of back: refuse instead."""
    if merged.empty or (~dropped).sum() == 0:
        raise DataValidationError(vix_key, "alignment",
                                  f"no {index_key} session has a {vix_key} value: market_daily "
                                  "would be empty", merged["date"].head(3))
    if dropped.iloc[-1]:
        tail = merged["date"][dropped & (merged.index > merged.index[~dropped][-1])]
        raise DataValidationError(vix_key, "alignment",
                                  f"{vix_key} is missing for the last {len(tail)} {index_key} "
                                  f"sessions (more than {max_ffill} can be forward-filled): "
                                  "market_daily would end on "
                                  f"{merged['date'][~dropped].iloc[-1].date()} instead of "
                                  f"{merged['date'].iloc[-1].date()}"
                                  f"; fix the {vix_key} file or shorten the window", tail)
