"""Thin node of the scorecard pipeline."""

from __future__ import annotations

import logging

import pandas as pd

from aegismatrix.ledger.scorecard import build_scorecard

logger = logging.getLogger(__name__)


def score_ledger(
    signal_ledger: pd.DataFrame, market_daily: pd.DataFrame, params: dict, seller_params: dict
) -> dict:
    """Breach, vol, direction and event scores of every matured ledger row, rolling windows,
    intervals, drift.
    """
    target = (seller_params.get("safe_range") or {}).get("target_breach_probability")
    card = build_scorecard(signal_ledger, market_daily, params,
                           None if target is None else float(target))
    logger.info(
        "scorecard: %d ledger rows; breach 5d %s (n=%s), 21d %s (n=%s); vol RMSE / naive %s; "
        "drifting %s",
        card["ledger_rows"],
        card["breach_rate_5d"],
        card["n_matured_5d"],
        card["breach_rate_21d"],
        card["n_matured_21d"],
        card["vol_rmse_ratio_to_naive"],
        card["drifting"] or "none",
    )
    return card
