"""The buyer engine (PulseWave): breakout probability and its up/down split, spike bias, theta ratio
and edge, gamma windows (a heuristic, no model).

Instances: every model block of `buyer` in conf/base/parameters_buyer.yml. The breakout probability
is served by the candidate `buyer.signals.breakout_candidates` lists that has edge and the lowest
walk-forward loss, else the first candidate's primary baseline.
"""

from __future__ import annotations

from aegismatrix.engines import Engine, Signal, block_instances


def instances(section: dict) -> list:
    return block_instances("buyer", section)


ENGINE = Engine(
    name="buyer",
    signals=(
        Signal("breakout_probability", candidates="signals.breakout_candidates"),
        Signal("spike_up_probability", model="spike"),
        Signal("theta_ratio_forecast", model="theta"),
    ),
    payload_section="aegismatrix.payload.sections.buyer:buyer_section",
    instances=instances,
)
