"""The three engines' feature sets, drawn from the registry by name.

No engine set contains a volume feature: NIFTY's volume is absent after 2022-08-26 in the real files
and unreliable from Yahoo, and a volume column that is NaN on recent rows would silently drop
today's row. Volume features live in the library and in the universe panel, where symbols carry real
volume.
"""

from __future__ import annotations

ENGINE_SETS: dict[str, tuple[str, ...]] = {
    # direction: trend, momentum, volatility,
    # index/VIX correlation and beta, drawdown, range compression
    "direction": (
        "ret_1d", "ret_5d", "ret_20d", "dist_sma_20", "dist_sma_50", "dist_sma_200", "macd_hist_pct",
        "adx_14", "di_spread_14", "linreg_slope_20", "rsi_14", "stoch_k_14", "williams_r_14", "roc_10",
        "atr_14_pct", "bb_pctb_20", "rv_cc_21", "rv_ratio_5_21", "vix_index_corr_63d", "vix_index_beta_63d",
        "vix_change_1d", "vix_percentile_252d", "drawdown_252", "range_compression_10_63", "ret_zscore_20",
        "close_location_value",
    ),
    # seller: vol regime and clustering, implied/realised percentiles, VRP, compression/expansion,
    # implied moves, skew-pressure proxies, distance from averages, overbought/oversold
    "seller": (
        "rv_cc_5", "rv_cc_21", "rv_cc_63", "rv_parkinson_21", "rv_garman_klass_21", "abs_return_autocorr_63",
        "rv_ratio_5_21", "rv_ratio_21_63", "vix_level", "vix_percentile_252d", "vix_zscore_252d",
        "rv_percentile_252d", "vrp_21d", "vrp_log_ratio_21d", "range_compression_10_63", "bb_width_20",
        "atr_ratio_5_21", "range_expansion_1d", "implied_move_1d", "implied_move_5d", "implied_move_21d",
        "vix_residual_1d", "vix_index_corr_63d", "vix_index_same_direction_21d", "downside_variance_share_21",
        "ret_skew_63", "dist_sma_20", "dist_sma_50", "rsi_14",
    ),
    # buyer: range compression, ATR ratios, momentum, trend direction/strength/duration, gap and
    # overnight move, daily range, expansion
    "buyer": (
        "range_compression_10_63", "nr7", "inside_bar", "bb_keltner_squeeze_20", "bb_width_20",
        "donchian_width_20", "atr_ratio_5_21", "atr_ratio_14_50", "atr_5_pct", "atr_14_pct",
        "range_expansion_1d", "daily_range_pct", "true_range_pct", "gap_pct", "open_to_close_return",
        "rsi_7", "rsi_14", "roc_5", "roc_10", "macd_hist_pct", "adx_14", "di_spread_14", "trend_run_sma_20",
        "ema_20_slope_5d", "linreg_slope_20", "breakout_up_20", "breakout_down_20", "donchian_pos_20",
        "implied_move_1d", "rv_ratio_5_21",
    ),
}
ENGINES = tuple(ENGINE_SETS)
# Optional information sources (issue 14), switched on per engine by `feature_engineering.sources`:
# source -> engine -> features appended to that engine's set. Measured with and without in
# docs/benchmarks.md.
SOURCE_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "overnight": {
        "direction": ("us_overnight_ret", "us_overnight_ret_z", "us_session_fresh", "us_vix_change",
                      "index_minus_us_ret"),
        "seller": ("us_vix_level", "us_vix_change", "us_india_vix_log_ratio", "us_overnight_ret",
                   "us_session_fresh"),
        "buyer": ("us_overnight_ret", "us_overnight_ret_z", "us_session_fresh", "us_vix_change"),
    },
    # scheduled events and expiries known at t (issue 13's calendar)
    "events": dict.fromkeys(("direction", "seller", "buyer"), (
        "days_to_rbi_policy", "days_to_fomc", "days_to_union_budget", "days_to_election_result",
        "days_to_nifty_weekly_expiry", "days_to_nifty_monthly_expiry", "rbi_policy_next_session",
        "fomc_next_session", "union_budget_next_session", "nifty_weekly_expiry_next_session",
        "nifty_monthly_expiry_next_session")),
    # the NSE sector index of the same session (NIFTY BANK; needs data_ingestion.sector)
    "sector": dict.fromkeys(("direction", "seller", "buyer"), (
        "sector_ret_1d", "sector_rel_ret_5d", "sector_rel_ret_21d", "sector_rv_ratio_21d",
        "sector_corr_63d")),
}


def source_features(engine: str, params: dict | None = None) -> list[str]:
    """Features the enabled sources add to an engine
    (`feature_engineering.sources: {overnight: [direction]}`)."""
    sources = (params or {}).get("sources") or {}
    unknown = sorted(set(sources) - set(SOURCE_SETS))
    if unknown:
        raise ValueError(f"feature_engineering.sources has unknown sources {unknown}; known: "
                         f"{sorted(SOURCE_SETS)}")
    return [n for source, engines in sources.items() if engine in (engines or [])
            for n in SOURCE_SETS[source][engine]]


def feature_set(engine: str, params: dict | None = None) -> list[str]:
    """The feature names of an engine; `params["feature_sets"][engine]` overrides the default list.

    Features of the sources enabled for the engine (`params["sources"]`) are appended to the default
    list.
    """
    if engine not in ENGINE_SETS:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    override = ((params or {}).get("feature_sets") or {}).get(engine)
    if override:
        return list(override)
    extra = [n for n in source_features(engine, params) if n not in ENGINE_SETS[engine]]
    return list(ENGINE_SETS[engine]) + extra
