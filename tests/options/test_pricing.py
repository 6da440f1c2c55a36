"""Model premiums (vollib Black-Scholes), payoffs, the VIX-implied touch range, strike snapping, dated lot
sizes."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from aegismatrix.options import pricing as P


def _bs_by_hand(flag, s, k, days, r, sigma):
    t = days / 365.0
    d1 = (math.log(s / k) + (r + sigma ** 2 / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if flag == "c":
        return s * norm.cdf(d1) - k * math.exp(-r * t) * norm.cdf(d2)
    return k * math.exp(-r * t) * norm.cdf(-d2) - s * norm.cdf(-d1)


@pytest.mark.parametrize("flag", ["c", "p"])
def test_vollib_matches_the_closed_form(flag):
    assert P.bs_price(flag, 21500, 21000, 7, 0.065, 0.14) == pytest.approx(
        _bs_by_hand(flag, 21500, 21000, 7, 0.065, 0.14))
    assert P.bs_price(flag, 100, 90, 0, 0.05, 0.2) == (10.0 if flag == "c" else 0.0)


def test_payoffs_capped_at_the_wings():
    assert P.short_strangle_payoff(21500, 21000, 22000) == 0.0
    assert P.short_strangle_payoff(20500, 21000, 22000) == 500.0
    assert P.iron_condor_payoff(20500, 21000, 22000, 200.0) == 200.0
    assert P.iron_condor_payoff(22100, 21000, 22000, 200.0) == 100.0


def test_vix_implied_touch_range_and_snapping():
    assert P.touch_z(0.10) == pytest.approx(1.95996, abs=1e-4)  # 2 sides x 2 (reflection) x P(Z > z) = 0.10
    lower, upper = P.vix_implied_range(20000.0, 14.6, 7, 0.10)
    half = 1.959964 * 0.146 * math.sqrt(7 / 365) * 20000.0
    assert (lower, upper) == (pytest.approx(20000 - half), pytest.approx(20000 + half))
    assert P.snap_outward(21012.0, 21988.0, 50) == (21000.0, 22000.0)
    assert P.snap_outward(21000.0, 22000.0, 50) == (21000.0, 22000.0)


def test_lot_size_is_dated():
    table = [{"from": "2010-01-01", "size": 50}, {"from": "2015-10-29", "size": 75}]
    assert P.lot_size_on("2015-10-28", table) == 50 and P.lot_size_on("2015-10-29", table) == 75
    with pytest.raises(ValueError, match="no lot size in force on 2009-12-31"):
        P.lot_size_on("2009-12-31", table)
