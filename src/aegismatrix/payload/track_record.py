"""The payload's `track_record` block: headline numbers, drift flags and short series from the
latest scorecard."""

from __future__ import annotations

SERIES_POINTS = 250  # the dashboard's charts: about one year of sessions
ROLLING_WINDOW = "63"


def _tail(points: list[dict]) -> list[dict]:
    return points[-SERIES_POINTS:]


def _range_entry(tenor: int, block: dict) -> dict:
    return {
        "tenor_days": tenor,
        "breach_rate": block.get("breach_rate"),
        "ci95": block.get("breach_rate_ci95"),
        "n_matured": block.get("n_matured", 0),
        "n_pending": block.get("n_pending", 0),
        "target": block.get("target"),
        "expire_beyond_rate": block.get("expire_beyond_rate"),
        "rolling_63": _tail((block.get("rolling") or {}).get(ROLLING_WINDOW, [])),
    }


def _market_vs_model(scorecard: dict) -> list[dict]:
    """Model beside market on the same matured range strikes (issue 22): per signal and event, rows,
    expiries, realised rate, each forecaster's mean probability and Brier (calibration: the
    scorecard)."""
    rows = []
    for signal, block in sorted((scorecard.get("market_vs_model") or {}).items()):
        for event, e in sorted((block.get("events") or {}).items()):
            model, market = e.get("model") or {}, e.get("market") or {}
            rows.append({"signal": signal, "event": event, "n": e.get("n", 0),
                         "n_expiries": e.get("n_expiries", 0), "event_rate": e.get("event_rate"),
                         "model_mean": model.get("mean_probability"),
                         "model_brier": model.get("brier"),
                         "market_mean": market.get("mean_probability"),
                         "market_brier": market.get("brier"),
                         "base_rate_brier": e.get("base_rate_brier")})
    return rows


def track_record_block(scorecard: dict | None, headline_signal: str = "seller.safe_range") -> dict:
    """What the published record says; `available: false` with the reason before the first scorecard
    run."""
    if not scorecard:
        return {
            "available": False,
            "reason": "no scorecard yet: run `kedro run --pipeline=backfill` and "
            "`kedro run --pipeline=scorecard` (docs/track_record.md)",
        }
    ranges = scorecard.get("ranges") or {}
    vol = scorecard.get("volatility") or {}
    drift = [
        {k: f[k] for k in ("signal", "observed", "expected", "band", "n")}
        for f in scorecard.get("drift_flags") or []
        if f.get("drifting")
    ]
    return {
        "available": True,
        "reason": None,
        "generated_at": scorecard.get("generated_at"),
        "market_last_date": scorecard.get("market_last_date"),
        "ledger_rows": scorecard.get("ledger_rows", 0),
        "breach_rate_5d": scorecard.get("breach_rate_5d"),
        "breach_rate_21d": scorecard.get("breach_rate_21d"),
        "n_matured_5d": scorecard.get("n_matured_5d", 0),
        "n_matured_21d": scorecard.get("n_matured_21d", 0),
        "vol_rmse_ratio_to_naive": scorecard.get("vol_rmse_ratio_to_naive"),
        "safe_ranges": [
            _range_entry(h, ranges[f"{headline_signal}/{h}d"])
            for h in (5, 21)
            if f"{headline_signal}/{h}d" in ranges
        ],
        "vol": {
            "n_matured": vol.get("n_matured", 0),
            "rmse": vol.get("rmse"),
            "naive_rmse": vol.get("naive_rmse"),
            "series": _tail(vol.get("series") or []),
        },
        "drift": drift,
        "market_vs_model": _market_vs_model(scorecard),
    }
