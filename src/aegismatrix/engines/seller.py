"""The seller engine (RangeShield): 21-day volatility forecast, volatility regime, trap and breach
probabilities, safe ranges per tenor and per expiry.

Instances: every model block of `seller` in conf/base/parameters_seller.yml except
`seller.benchmark_only`. The vol forecast is served by the candidate `seller.vol_candidates` lists
that has edge and the lowest walk-forward loss (modelling/selection.py), else the first candidate's
primary baseline.
"""

from __future__ import annotations

from aegismatrix.engines import Engine, Signal, block_instances


def instances(section: dict) -> list:
    return block_instances("seller", section)


ENGINE = Engine(
    name="seller",
    signals=(
        Signal("vol_forecast_21d", candidates="vol_candidates"),
        Signal("vol_regime", model="vol_regime"),
        Signal("trap_probability", model="trap"),
        Signal("breach_probability_5d", model="breach_5d"),
        Signal("breach_probability_21d", model="breach_21d"),
    ),
    payload_section="aegismatrix.payload.sections.seller:seller_section",
    instances=instances,
)
