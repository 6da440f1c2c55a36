"""NSE sector indices (NIFTY BANK) traded in the same session as the index: loaded like the index,
joined on its dates.

A sector close of day t is published at the same 15:30 IST close as the index, so row t may use it
at either decision time (close or preopen) and never a later row. Off unless `data_ingestion.sector`
names a symbol.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.market.ingest import Fetched, collect_optional
from aegismatrix.market.validation import finding

log = logging.getLogger(__name__)
SECTOR_COLUMNS = ["sector_close", "sector_filled"]


def sector_symbols(params: dict[str, Any]) -> dict[str, str]:
    """The configured sector symbol (key -> Yahoo ticker;
    the first one is used); {} switches it off."""
    symbols = dict(params.get("sector") or {})
    if len(symbols) > 1:
        raise ValueError(f"data_ingestion.sector takes one symbol, got {sorted(symbols)}")
    return symbols


def collect_sector(params: dict[str, Any], core: dict[str, Fetched], start: pd.Timestamp,
                   end: pd.Timestamp, session: Any = None, sleep: Any = None) -> dict[str, Fetched]:
    """The sector index through the same source chain as the index;
    synthetic when the index is synthetic."""
    return collect_optional("sector", sector_symbols(params), synthetic_sector, params, core, start,
                            end, session, sleep)


def synthetic_sector(index: pd.DataFrame, symbols: dict[str, str], seed: int) -> dict[str, Fetched]:
    """A sector index for a synthetic NIFTY: beta 1.2 on its daily log return plus noise
    (correlation ~0.8)."""
    rng = np.random.default_rng(seed + 307)
    nse = index.sort_values("date").reset_index(drop=True)
    ret = np.log(nse["close"]).diff().fillna(0.0).to_numpy()
    own = 1.2 * ret + rng.normal(0.0, max(float(np.std(ret)), 1e-4) * 0.9, len(ret))
    close = 3.0 * float(nse["close"].iloc[0]) * np.exp(np.cumsum(own))
    prev = np.concatenate([[close[0]], close[:-1]])
    wiggle = np.abs(rng.normal(0, 0.004, len(close))) * close
    frame = pd.DataFrame({"date": nse["date"].to_numpy(), "open": prev,
                          "high": np.maximum(prev, close) + wiggle,
                          "low": np.minimum(prev, close) - wiggle, "close": close, "volume": np.nan})
    (key, ticker), = symbols.items()
    return {key: Fetched(key, ticker, frame, "synthetic",
                         f"synthetic(seed={seed}, sector driven by the index)")}


def join_sector(market: pd.DataFrame, validated: pd.DataFrame,
                params: dict[str, Any]) -> tuple[pd.DataFrame, list[dict]]:
    """market_daily plus `sector_close` on its dates (forward-filled up to alignment.max_ffill_days,
    `sector_filled`)."""
    symbols = sector_symbols(params)
    if not symbols:
        return market, []
    (key, _), = symbols.items()
    rows = (validated.loc[validated["symbol"] == key, ["date", "close"]] if "symbol" in validated
            else pd.DataFrame())
    if rows.empty:
        log.warning("sector: no %s rows loaded; market_daily gets no sector_close", key)
        return market, []
    limit = int(params.get("alignment", {}).get("max_ffill_days", 3))
    close = market[["date"]].merge(rows.rename(columns={"close": "raw"}), on="date", how="left")["raw"]
    filled = close.isna() & close.ffill(limit=limit).notna()
    out = market.assign(sector_close=close.ffill(limit=limit).to_numpy(),
                        sector_filled=filled.to_numpy())
    findings = []
    if filled.any():
        message = (f"{key} has no bar on {int(filled.sum())} index sessions: its previous close is "
                   "carried (sector_filled)")
        findings.append(finding(key, "sector_alignment", "repair",
                                market.loc[filled.to_numpy(), "date"], message))
        log.warning("sector: %s", message)
    return out, findings
