"""The seller engine's part of aegismatrix.json: vol forecast and regime, trap probability, safe
ranges per tenor, sources and drivers, from `seller_signals` (columns: `pipelines/seller/nodes.py:
SIGNAL_COLUMNS`) and the seller models' records; VIX heuristics when absent. Its option chain and
strategy backtest blocks come from `options/payload.py`, its expiry ranges from
`payload/expiries.py` (inputs, never added afterwards).
"""

from __future__ import annotations

import pandas as pd

from aegismatrix.engines import declaration
from aegismatrix.options.payload import option_chain_fields, strategy_backtest_section
from aegismatrix.payload.expiries import expiries_section
from aegismatrix.payload.fields import (
    REGIMES,
    Section,
    drivers_for,
    implied_sigma_points,
    iso_date,
    known_rate,
    latest_row,
    non_negative,
    signal_source,
    vix_regime,
)

# Per-signal source columns seller_signals carries next to `model_source` (first present wins).
SOURCE_COLUMNS = {
    "vol_forecast_21d": ["vol_model_source", "vol_forecast_model_source"],
    "vol_regime": ["vol_regime_model_source"],
    "trap_probability": ["trap_model_source"],
    "safe_ranges": ["safe_range_model_source", "safe_ranges_model_source", "vol_model_source"],
    "breach_probability_5d": ["breach_5d_model_source"],
    "breach_probability_21d": ["breach_21d_model_source"],
}


def seller_section(signals: pd.DataFrame | None, records: dict[str, dict], market: pd.DataFrame,
                   as_of: pd.Timestamp, params: dict, seller_params: dict,
                   chain: dict | None = None,
                   strategy_backtest: tuple | None = None, expiries: dict | None = None) -> Section:
    """Volatility forecast and regime, trap probability, safe ranges per tenor, max pain and the
    option chain (`chain`), the strategy backtest (trades, summary) and the expiry block
    (`payload/expiries.py`)."""
    row, late = latest_row(signals, as_of, "seller_signals")
    default = params.get("heuristic", {}).get("target_breach_probability", 0.10)
    safe_range = seller_params.get("safe_range") or {}
    target = float(safe_range.get("target_breach_probability", default))
    section = (heuristic_seller(market, target, params) if row is None
               else _served_seller(row, records, target, seller_params))
    # max_pain (nearest expiry) and the option_chain block
    section.update(option_chain_fields(chain))
    section["strategy_backtest"] = strategy_backtest_section(*(strategy_backtest or (None, None)))
    section.update(expiries if expiries is not None else expiries_section(None, None, as_of))
    return Section(section, (late,) if late else ())


def _served_seller(row: pd.Series, records: dict[str, dict], target: float,
                   seller_params: dict) -> dict:
    """The seller block from the latest signal row: values, per-signal sources and the served
    drivers."""
    vol_model = row.get("vol_model")
    vol_ns = (f"seller.{vol_model}"
              if isinstance(vol_model, str) and not vol_model.startswith("baseline") else None)
    ranges = []
    for tenor in (5, 21):
        ranges.append({"tenor_days": tenor, "lower": float(row[f"safe_lower_{tenor}d"]),
                       "upper": float(row[f"safe_upper_{tenor}d"]),
                       "breach_probability": float(row[f"breach_probability_{tenor}d"]),
                       "target_breach_probability": target,
                       "model_source": signal_source(row, f"breach_probability_{tenor}d",
                                                     SOURCE_COLUMNS)})
    section = {
        "vol_forecast_21d": non_negative(row["vol_forecast_21d"]),
        "vol_regime": str(row["vol_regime"]),
        "p_vol_low": float(row["p_vol_low"]), "p_vol_medium": float(row["p_vol_medium"]),
        "p_vol_high": float(row["p_vol_high"]), "trap_probability": float(row["trap_probability"]),
        "safe_ranges": ranges,
        "model_source": {signal: signal_source(row, signal, SOURCE_COLUMNS)
                         for signal in SOURCE_COLUMNS},
        "vol_model": vol_model if isinstance(vol_model, str) else None,
        "signal_date": iso_date(row["date"]),
    }
    # the vol forecast's drivers are the served candidate's; every other signal's, its declared
    # model's
    drivers = {"vol_forecast_21d": drivers_for(records, vol_ns)}
    drivers.update({signal: drivers_for(records, ns) for signal, ns
                    in declaration("seller").signal_models(seller_params).items()
                    if signal not in drivers})
    section["top_drivers"] = {k: v for k, v in drivers.items() if v}
    return section


def heuristic_seller(market: pd.DataFrame, target: float, params: dict) -> dict:
    """VIX-scaled vol, VIX regime, trap base rate and VIX-implied ranges (`heuristic`) when no
    seller signals exist."""
    cfg = params.get("heuristic", {})
    spot, vix = float(market["close"].iloc[-1]), float(market["vix_close"].iloc[-1])
    regime = vix_regime(market, int(params.get("regime_lookback", 252)),
                        params.get("regime_quantiles", [1 / 3, 2 / 3]))
    sure = float(cfg.get("regime_confidence", 0.6))
    probs = {r: sure if r == regime else (1 - sure) / 2 for r in REGIMES}
    ranges = []
    for tenor in (5, 21):
        k = float(cfg.get("range_sigmas", {5: 1.5, 21: 2.0}).get(tenor, 1.5))
        sigma = implied_sigma_points(market, tenor)
        ranges.append({"tenor_days": tenor, "lower": spot - k * sigma, "upper": spot + k * sigma,
                       "breach_probability": known_rate(market, "implied_move_touch", target,
                                                        horizon=tenor, sigmas=k),
                       "target_breach_probability": target, "model_source": "heuristic"})
    return {"vol_forecast_21d": vix / 100.0 / float(cfg.get("vix_to_realised", 1.3)),
            "vol_regime": regime,
            "p_vol_low": probs["low"], "p_vol_medium": probs["medium"], "p_vol_high": probs["high"],
            "trap_probability": known_rate(market, "implied_move_touch", 0.3, horizon=5,
                                           sigmas=1.0),
            "safe_ranges": ranges, "heuristic_reason": "no seller signals",
            "model_source": dict.fromkeys(
                ("vol_forecast_21d", "vol_regime", "trap_probability", "safe_ranges"), "heuristic"),
            "top_drivers": {}}
