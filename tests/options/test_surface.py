"""Chain analytics: IV -> price -> IV round trip (and agreement with vollib's LetsBeRational), the parity
forward against the underlying on real NSE days, and the market's probabilities on the real fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aegismatrix.options.chain_checks import validate_option_rows
from aegismatrix.options.nse_files import read_options_dir
from aegismatrix.options.surface import black76_price, chain_surface, implied_vols

FIXTURE = Path(__file__).parents[1] / "fixtures" / "option_chain_nse"
RATE = 0.065


def test_iv_price_iv_round_trip_and_vollib_agreement():
    from vollib.black import black
    from vollib.black.implied_volatility import implied_volatility

    strikes = np.repeat([15000.0, 17500.0, 18000.0, 18500.0, 21000.0], 4)
    sigmas = np.tile([0.08, 0.15, 0.3, 0.6], 5)
    years, forward = 7 / 365.0, 18000.0
    for is_call in (True, False):
        prices = black76_price(is_call, forward, strikes, years, RATE, sigmas)
        otm = (
            strikes >= forward if is_call else strikes < forward
        )  # the surface inverts out-of-the-money only
        priced = otm & (prices > 1e-6)  # far wings at low vol have no price to invert
        back = implied_vols(prices[priced], forward, strikes[priced], years, RATE, is_call)
        np.testing.assert_allclose(back, sigmas[priced], atol=1e-8)
        flag = "c" if is_call else "p"
        for k, s, p in list(zip(strikes[priced], sigmas[priced], prices[priced]))[::3]:
            assert black(flag, forward, k, years, RATE, s) == pytest.approx(p, rel=1e-9, abs=1e-9)
            assert implied_volatility(p, forward, k, RATE, years, flag) == pytest.approx(s, abs=1e-6)
    below_intrinsic = implied_vols(np.array([100.0]), forward, 17500.0, years, RATE, True)
    assert np.isnan(below_intrinsic).all()


def _surface(folder: Path, close: pd.Series):
    rows, _ = read_options_dir(folder)
    chain, _ = validate_option_rows(rows, close, {})
    return chain_surface(chain, RATE, {})


def test_fixture_day_forward_smile_and_probabilities():
    strikes, expiries = _surface(FIXTURE, pd.Series({pd.Timestamp("2022-12-23"): 17806.8}))
    weekly = expiries.set_index("expiry").loc[pd.Timestamp("2022-12-29")]
    carry = 17806.8 * np.exp(RATE * 6 / 365)
    assert abs(weekly["forward"] / carry - 1) < 0.003
    assert 0.10 < weekly["atm_iv"] < 0.25 and weekly["risk_reversal_25d"] < 0  # puts richer: NIFTY's skew
    smile = strikes[strikes["expiry"] == pd.Timestamp("2022-12-29")].sort_values("strike")
    assert smile["iv"].notna().all() and (np.diff(smile["p_above"]) <= 1e-9).all()
    at_forward = np.interp(weekly["forward"], smile["strike"], smile["p_above"])
    assert 0.4 < at_forward < 0.6
    assert (smile["p_touch_market"] >= np.minimum(smile["p_above"], smile["p_below"]) - 1e-12).all()
    assert weekly["call_wall_strike"] == smile.loc[smile["call_oi"].idxmax(), "strike"]


def test_parity_forward_within_0_3pct_of_the_underlying_on_real_days(real_data_dir):
    """December 2022 (both sides every day): every expiry up to 8 calendar days out, carry e^{rT} included."""
    folder = real_data_dir / "options" / "nse_contract_wise"
    close = pd.read_csv(real_data_dir / "nifty50.csv", parse_dates=["date"]).set_index("date")["close"]
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for file in folder.glob("OPTIDX_NIFTY_*_02-Dec-2022_TO_31-Dec-2022.csv.gz"):
            shutil.copy(file, tmp)
        _, expiries = _surface(Path(tmp), close)
    near = expiries[expiries["calendar_days"] <= 8]
    gap = near["forward"] / (near["underlying"] * np.exp(RATE * near["calendar_days"] / 365)) - 1
    assert near["date"].nunique() >= 20 and gap.abs().max() < 0.003
