"""Choosing one served model among candidates for the same signal (e.g. the seller's vol forecasters, the
buyer's NIFTY-only and pooled breakout models): on walk-forward scores only, never on the final test block."""

from __future__ import annotations

import numpy as np

from aegismatrix.modelling.headline import walk_forward_loss

RULE = "edge and lowest walk-forward loss (final test block not used)"


def choose_candidate(candidates: list[str], metrics: dict[str, dict]) -> str:
    """The candidate with edge and the lowest walk-forward loss; the first one (serving its baseline) if none
    has edge."""
    def loss(m: dict) -> float:
        value = walk_forward_loss(m)
        return np.inf if value is None else float(value)

    scored = [(loss(metrics[name]), name) for name in candidates if metrics[name]["edge"]]
    return min(scored)[1] if scored else candidates[0]


def served_name(chosen: str, metrics: dict) -> str:
    """What a signal records as its model: the chosen candidate, or `baseline:<primary>` without edge."""
    return chosen if metrics["edge"] else f"baseline:{metrics['primary_baseline']}"


def candidate_table(metrics: dict[str, dict]) -> dict[str, dict]:
    """Status and walk-forward loss of each candidate, for the selection record."""
    return {n: {"status": m["status"], "metric": m["metric"], "walk_forward_loss": walk_forward_loss(m),
                **({"pool": m["pool"]} if "pool" in m else {})} for n, m in metrics.items()}
