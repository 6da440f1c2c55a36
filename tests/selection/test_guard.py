"""The live guard: a planted regime change demotes within the stated window, not before; recovery restores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.ledger.guard import demoted_since, guard_path

WINDOW, MARGIN = 40, 0.10
PARAMS = {"window": WINDOW, "margin": MARGIN, "restore_margin": 0.0}


def _matured(n: int, shift_at: int, recover_at: int | None = None, seed: int = 5) -> pd.DataFrame:
    """Baseline QLIKE-like losses; the model 20% better before `shift_at`, 60% worse after, better again from
    `recover_at`."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 0.1, size=n)
    factor = np.where(np.arange(n) < shift_at, 0.8, 1.6)
    if recover_at is not None:
        factor[recover_at:] = 0.8
    return pd.DataFrame({"date": pd.bdate_range("2023-01-02", periods=n), "model_loss": base * factor,
                         "baseline_loss": base})


def test_demotes_within_the_window_after_the_shift_and_not_before():
    path = guard_path(_matured(300, shift_at=150), PARAMS)
    first = int(np.flatnonzero(path["demoted"].to_numpy())[0])
    assert 150 <= first <= 150 + WINDOW - 1
    assert not path["demoted"].iloc[:150].any()


def test_never_demotes_a_model_within_the_margin():
    data = _matured(300, shift_at=300)
    data["model_loss"] = data["baseline_loss"] * (1.0 + MARGIN * 0.9)
    assert not guard_path(data, PARAMS)["demoted"].any()


def test_restores_only_after_a_full_window_of_recovery():
    path = guard_path(_matured(400, shift_at=150, recover_at=250), PARAMS)
    demoted = path["demoted"].to_numpy()
    assert demoted[249]
    restored = int(np.flatnonzero(~demoted[250:])[0]) + 250
    # the window must hold only rows matured after the demotion, and the worse rows must roll out first
    assert restored > 250 and restored <= 250 + WINDOW
    assert not demoted[restored:].any()


def test_the_last_row_reports_the_numbers():
    data = _matured(300, shift_at=150)
    path = guard_path(data, PARAMS)
    last = path.iloc[-1]
    assert last["demoted"] and last["ratio"] > 1 + MARGIN and len(path) == 300
    assert path["date"].iloc[int(last["since"])] >= data["date"].iloc[150]
    assert guard_path(data.iloc[:0], PARAMS).empty


def test_missing_losses_and_bad_settings_are_errors():
    data = _matured(50, shift_at=50)
    data.loc[3, "model_loss"] = np.nan
    with pytest.raises(ValueError, match="without a loss"):
        guard_path(data, PARAMS)
    with pytest.raises(ValueError, match="restore_margin"):
        guard_path(_matured(50, 50), {"window": 10, "margin": 0.05, "restore_margin": 0.2})


def test_causal_demotions_only_see_live_rows_matured_by_each_day():
    from aegismatrix.ledger.guard import causal_demotions

    n, h, trained = 400, 5, 99  # rows 0..99 are the model's training data
    data = _matured(n, shift_at=250)
    y = np.ones(n)
    y[-h:] = np.nan  # the last h labels have not matured
    out = causal_demotions(data["date"], y, data["model_loss"].to_numpy(),
                           data["baseline_loss"].to_numpy(), h, data["date"].iloc[trained], PARAMS)
    assert (out["guard_n"].iloc[: trained + 1 + h] == 0).all()  # nothing live has matured yet
    first = int(np.flatnonzero(out["demoted"].to_numpy())[0])
    # the shift at row 250 is seen from row 250 + h; demoted within the window after that, never before
    assert 250 + h <= first <= 250 + h + WINDOW - 1
    assert out["guard_n"].iloc[-1] == n - h - (trained + 1)


def test_demoted_since_names_the_first_day_of_each_demotion():
    dates = pd.Series(pd.bdate_range("2024-01-01", periods=7))
    flags = [False, True, True, False, True, True, True]
    since = demoted_since(dates, flags).tolist()
    assert since == [None, "2024-01-02", "2024-01-02", None, "2024-01-05", "2024-01-05", "2024-01-05"]
    assert demoted_since(dates.iloc[:0], []).tolist() == []
