"""Node: `data_ingestion.options_dir` (NSE end-of-day option files) -> the validated
`option_chain_daily`."""

from __future__ import annotations

import logging
import time

import pandas as pd

from aegismatrix.options.chain_checks import CHAIN_COLUMNS, validate_option_rows
from aegismatrix.options.file_cache import ParsedOptionFiles
from aegismatrix.options.nse_files import read_option_file, read_options_dir

logger = logging.getLogger(__name__)

OFF_REASON = "data_ingestion.options_dir is null: option data switched off"


def empty_chain() -> pd.DataFrame:
    """`option_chain_daily` without rows, with its columns and types (options off, none valid)."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in CHAIN_COLUMNS})
    for column in ("date", "expiry"):
        frame[column] = pd.Series(dtype="datetime64[ns]")
    for column in ("side", "underlying_source", "source_format", "source_file"):
        frame[column] = pd.Series(dtype="string")
    return frame.astype({"traded": bool, "both_sides": bool})


def build_option_chain_daily(
    market_daily: pd.DataFrame, ingestion_params: dict
) -> tuple[pd.DataFrame, dict]:
    """Every NIFTY option row of the files under `options_dir`, checked (options/chain_checks.py),
    and a report: files, days, rows, and each finding with its file, rows, check and action."""
    folder = ingestion_params.get("options_dir")
    if not folder:
        logger.info("option chain: %s", OFF_REASON)
        return empty_chain(), {
            "options_dir": None,
            "reason": OFF_REASON,
            "days": 0,
            "rows": 0,
            "findings": [],
        }
    started = time.perf_counter()
    options = ingestion_params.get("options") or {}
    reader = ParsedOptionFiles(options["cache_dir"]) if options.get("cache_dir") else None
    rows, findings = read_options_dir(folder, reader or read_option_file)
    cache = _cache_report(reader)
    index_close = market_daily.assign(date=pd.to_datetime(market_daily["date"])).set_index("date")[
        "close"
    ]
    chain, checks = validate_option_rows(rows, index_close, options)
    findings += checks
    chain = chain if len(chain) else empty_chain()
    for item in findings:
        if item["action"] == "refused":
            logger.warning(
                "option chain %s: %s (%d row(s), e.g. %s): %s",
                item["file"],
                item["check"],
                item["count"],
                item["rows"] or "-",
                item["detail"],
            )
    report = {
        "options_dir": str(folder),
        "reason": None if len(chain) else "no valid NIFTY option row in options_dir",
        "files": int(chain["source_file"].nunique()),
        "days": int(chain["date"].nunique()),
        "rows": int(len(chain)),
        "first_date": chain["date"].min().strftime("%Y-%m-%d") if len(chain) else None,
        "last_date": chain["date"].max().strftime("%Y-%m-%d") if len(chain) else None,
        "one_sided_days": int(chain.loc[~chain["both_sides"].astype(bool), "date"].nunique()),
        "file_cache": cache,
        "findings": findings,
    }
    logger.info(
        "option chain: %d rows on %d days from %s in %.1f s (%d findings; files parsed %s, "
        "cached %s)",
        report["rows"],
        report["days"],
        folder,
        time.perf_counter() - started,
        len(findings),
        cache["parsed"],
        cache["cached"],
    )
    return chain, report


def _cache_report(reader: ParsedOptionFiles | None) -> dict:
    """How many files this run parsed and read from the cache (every file parsed without a cache),
    and the cache entries of removed files it deleted."""
    if reader is None:
        return {"dir": None, "parsed": None, "cached": 0, "dropped": []}
    return {
        "dir": str(reader.cache.root),
        "parsed": len(reader.parsed),
        "cached": len(reader.cached),
        "dropped": reader.forget_others(),
    }
