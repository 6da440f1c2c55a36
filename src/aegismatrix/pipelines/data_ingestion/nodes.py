"""Thin, pure nodes of the data_ingestion pipeline; the work lives in aegismatrix.market."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from aegismatrix.market.alignment import align_index_vix
from aegismatrix.market.collect import collect_core, collect_universe, empty_intraday, published_by
from aegismatrix.market.errors import DataValidationError, format_dates
from aegismatrix.market.freshness import live_age_minutes
from aegismatrix.market.ingest import Fetched
from aegismatrix.market.overnight import align_us_daily
from aegismatrix.market.sector import join_sector
from aegismatrix.market.session import now_utc, replay_instant, session_state
from aegismatrix.market.synthetic import INTRADAY_COLUMNS
from aegismatrix.market.universe import NO_VOLUME_TICKERS
from aegismatrix.market.validation import REPORT_COLUMNS, finding, report_frame, validate_symbol

log = logging.getLogger(__name__)


def _entry(f: Fetched) -> dict[str, Any]:
    """JSON-safe description of one fetched symbol."""
    notes = [{**n, "dates": format_dates(n["dates"])} for n in f.notes]
    last = f.frame["date"].max() if len(f.frame) else None
    return {"ticker": f.ticker, "source": f.source, "origin": f.origin,
            "raw_last_date": (str(pd.Timestamp(last).date())
                              if last is not None and not pd.isna(last) else None),
            "fetched_at": f.fetched_at.isoformat() if f.fetched_at is not None else None,
            "cache_age_hours": f.cache_age_hours, "warnings": list(f.warnings), "notes": notes,
            "live": f.live, "stale": bool(f.stale), "stale_reason": f.stale_reason}


def _long(fetched: dict[str, Fetched]) -> pd.DataFrame:
    """Stack per-symbol frames into one long frame with `symbol` and `ticker` columns."""
    parts = [f.frame.assign(symbol=k, ticker=f.ticker) for k, f in fetched.items()]
    frame = pd.concat(parts, ignore_index=True)
    cols = (["symbol", "ticker", "date", "open", "high", "low", "close", "volume"]
            + (["adj_close"] if "adj_close" in frame else []))
    return frame[cols]


def fetch_market_data(params: dict[str, Any], inference_params: dict[str, Any] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Fetch the index and VIX daily bars and intraday bars through the configured source chain; the
    log keeps the session clock's state at the fetch (the payload's `data.session`). A replay
    (`inference.decision_at`) keeps only what was published by its instant, and the session state is
    the instant's."""
    replay = replay_instant(inference_params)
    now = replay if replay is not None else now_utc()
    c = collect_core(params)
    if replay is not None:
        c = published_by(c, replay, params)
    fetch_log = {"source_mode": params.get("source", "auto"),
                 "session": session_state(now).as_dict(),
                 "window": {"start": str(c.start.date()), "end": str(c.end.date())},
                 "symbols": {k: _entry(f) for k, f in c.fetched.items()},
                 "intraday_warnings": c.intraday_warnings}
    return _long(c.fetched), c.intraday, fetch_log


def _validate(frame: pd.DataFrame, key: str, entry: dict[str, Any],
              params: dict[str, Any]) -> tuple[pd.DataFrame, list[dict]]:
    """Validate one symbol, including parse notes from its source."""
    checks = params.get("validation", {}).get("checks", {})
    is_vix = key == params.get("vix_key", "indiavix") or entry["ticker"] in {"^VIX", "^INDIAVIX"}
    role = "vix" if is_vix else "index"
    notes = [finding(key, n["check"], checks.get("missing_prices", {}).get("action", "drop"),
                     pd.to_datetime(n["dates"]),
                     f"non-numeric {n['column']} values such as {n['values']}")
             for n in entry.get("notes", [])]
    data = frame.drop(columns=["symbol", "ticker"], errors="ignore").reset_index(drop=True)
    clean, found = validate_symbol(data, key, role, checks, origin=entry.get("origin"),
                                   volume_meaningful=entry["ticker"] not in NO_VOLUME_TICKERS)
    return clean, notes + found


def validate_market_data(raw: pd.DataFrame, fetch_log: dict[str, Any],
                         params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate each symbol with the configured check actions; return validated frames and findings.
    """
    parts, findings = [], []
    present = set(raw["symbol"].unique())
    absent = [k for k in fetch_log["symbols"] if k not in present]
    if absent:
        entry = fetch_log["symbols"][absent[0]]
        raise DataValidationError(entry.get("origin") or absent[0], "empty",
                                  f"no rows for {absent} in the window "
                                  f"{fetch_log['window']['start']} .. {fetch_log['window']['end']}")
    for key, group in raw.groupby("symbol", sort=False):
        entry = fetch_log["symbols"][key]
        clean, found = _validate(group, key, entry, params)
        parts.append(clean.assign(symbol=key, ticker=entry["ticker"]))
        findings += found
        log.info("validated %s: %d -> %d rows, %d findings", key, len(group), len(clean),
                 len(found))
        for f in found:  # warn/drop findings must be seen, not only written to the quality report
            (log.warning if f["action"] in ("warn", "drop") else log.info)(
                "data check %s on %s (%s, %d rows, e.g. %s): %s", f["check"], key, f["action"],
                f["n_rows"],
                f["example_dates"], f["message"])
    return pd.concat(parts, ignore_index=True)[raw.columns], report_frame(findings)


def align_market_data(validated: pd.DataFrame,
                      params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the index and VIX on trading dates into `market_daily` (plus `sector_close` when a
    sector is set).
    """
    index_key, vix_key = params.get("index_key", "nifty50"), params.get("vix_key", "indiavix")
    pick = lambda k: validated.loc[validated["symbol"] == k].reset_index(drop=True)  # noqa: E731
    max_ffill = int(params.get("alignment", {}).get("max_ffill_days", 3))
    market, findings = align_index_vix(pick(index_key), pick(vix_key), max_ffill, index_key,
                                       vix_key)
    market, sector_findings = join_sector(market, validated, params)
    return market, report_frame(findings + sector_findings)


def align_us_market_data(validated: pd.DataFrame,
                         params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The overnight US session (`us_daily`: S&P 500 + Cboe VIX on the S&P calendar); empty when
    switched off.
    """
    us_daily, findings = align_us_daily(validated, params)
    return us_daily, report_frame(findings)


def prepare_market_intraday(raw: pd.DataFrame) -> pd.DataFrame:
    """Sort intraday bars, drop duplicates and bars without positive prices; keep the contract's
    columns."""
    if raw.empty:
        return empty_intraday()
    frame = raw[INTRADAY_COLUMNS].drop_duplicates(subset=["interval", "timestamp"], keep="last")
    prices = frame[["open", "high", "low", "close"]]
    frame = frame.loc[prices.notna().all(axis=1) & prices.gt(0).all(axis=1)]
    frame = frame.sort_values(["interval", "timestamp"]).reset_index(drop=True)
    return frame.astype({"interval": "object"})


def ingest_universe(
        fetch_log: dict[str, Any], params: dict[str, Any],
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], pd.DataFrame]:
    """Fetch and validate the selected universe, one frame per symbol ({} when no universe is
    selected)."""
    window = fetch_log["window"]
    core = fetch_log["symbols"].get(params.get("index_key", "nifty50"), {})
    fetched = collect_universe(params, pd.Timestamp(window["start"]), pd.Timestamp(window["end"]),
                               core_synthetic=core.get("source") == "synthetic")
    frames, entries, findings = {}, {}, []
    for key, f in fetched.items():
        entry = _entry(f)
        try:
            clean, found = _validate(f.frame, key, entry, params)
        except DataValidationError as exc:
            findings.append(finding(key, exc.check, "drop", pd.to_datetime(exc.example_dates),
                                    f"symbol excluded from the universe: {exc}", 0))
            entries[key] = {**entry, "rows": 0, "warnings": entry["warnings"] + [str(exc)]}
            continue
        frames[key] = clean
        findings += found
        entries[key] = {**entry, **_span(clean)}
    return frames, entries, report_frame(findings)


def universe_not_loaded(params: dict[str, Any]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Serving runs: no universe is read (its log says so), and no findings."""
    return ({"not_loaded": f"serving runs do not read the universe ({params.get('universe')})"},
            report_frame([]))


def _span(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows and first/last date of a frame."""
    if frame.empty:
        return {"rows": 0, "first_date": None, "last_date": None}
    return {"rows": int(len(frame)), "first_date": str(frame["date"].min().date()),
            "last_date": str(frame["date"].max().date())}


def build_data_quality_report(*findings: pd.DataFrame) -> pd.DataFrame:
    """Every finding of validation and alignment in one frame."""
    parts = [f for f in findings if not f.empty]
    return pd.concat(parts, ignore_index=True)[REPORT_COLUMNS] if parts else report_frame([])


def _finding_warnings(report: pd.DataFrame | None, key: str) -> list[str]:
    """warn and drop findings of one symbol as data.warnings lines (check, rows, example dates,
    message)."""
    if report is None or report.empty:
        return []
    rows = report.loc[(report["symbol"] == key) & report["action"].isin(["warn", "drop"])]
    return [f"{key} {r.check} ({r.action}, {r.n_rows} rows, e.g. {r.example_dates}): {r.message}"
            for r in rows.itertuples()]


def _as_of_warnings(fetch_log: dict[str, Any], market_daily: pd.DataFrame,
                    params: dict[str, Any]) -> list[str]:
    """data_as_of must be the index's last row; say why when it is not."""
    index_key = params.get("index_key", "nifty50")
    raw_last = (fetch_log["symbols"].get(index_key) or {}).get("raw_last_date")
    served = _span(market_daily)["last_date"]
    if raw_last and served and served != raw_last:
        return [f"data_as_of {served} is before {index_key}'s last row {raw_last}: the later "
                "rows failed validation or alignment (see the data quality report)"]
    return []


def build_data_provenance(fetch_log: dict[str, Any], validated: pd.DataFrame,
                          market_daily: pd.DataFrame,
                          universe_log: dict[str, Any], quality_report: pd.DataFrame | None = None,
                          params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Source actually used per symbol with rows, first/last date, fetch time, cache age and
    warnings."""
    symbols = {}
    for key, entry in fetch_log["symbols"].items():
        clean = validated.loc[validated["symbol"] == key]
        symbols[key] = {"ticker": entry["ticker"], "source": entry["source"], **_span(clean),
                        "fetched_at": entry["fetched_at"],
                        "cache_age_hours": entry["cache_age_hours"], "origin": entry["origin"],
                        "warnings": [*entry["warnings"], *_finding_warnings(quality_report, key)],
                        **{k: entry.get(k) for k in ("live", "stale", "stale_reason")
                           if k in entry}}
    used = {s["source"] for s in symbols.values()}
    return {"source": used.pop() if len(used) == 1 else "mixed", "symbols": symbols,
            **_session_fields(fetch_log, params or {}),
            "window": fetch_log["window"], "market_daily": _span(market_daily),
            "intraday_warnings": fetch_log.get("intraday_warnings", []), "universe": universe_log,
            "warnings": _as_of_warnings(fetch_log, market_daily, params or {}),
            "generated_at": now_utc().isoformat()}


def _session_fields(fetch_log: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The session clock at the fetch and the index's live price (its developing bar, never a daily
    row)."""
    session = fetch_log.get("session")
    if not session:  # a fetch log from before the session clock
        return {}
    index = fetch_log["symbols"].get(params.get("index_key", "nifty50")) or {}
    live = index.get("live")
    if live:
        live = {**live, "symbol": params.get("index_key", "nifty50"),
                "age_minutes": live_age_minutes(live, pd.Timestamp(session["instant"]))}
    return {"session": session, "live": live}
