"""The market block's decision time and overnight inputs (issue 14) validate against the schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.overnight import synthetic_us_session
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.payload.overnight import overnight_market_fields
from aegismatrix.payload.publish import PayloadValidationError, validate_payload
from aegismatrix.payload.unavailable import mark_unavailable
from tests.payload.example import example_payload


@pytest.fixture(scope="module")
def markets() -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = synthetic_market_daily(years=2, seed=5, end="2024-06-28")
    us = synthetic_us_session(daily, {"sp500": "^GSPC", "vix": "^VIX"}, seed=5)
    return daily, us["sp500"].frame.assign(vix_close=us["vix"].frame["close"].to_numpy())


def _gap(daily: pd.DataFrame, source: str = "model") -> tuple[pd.DataFrame, dict]:
    predictions = pd.DataFrame({"date": daily["date"], "prediction": 0.002, "model_source": source})
    model = {"meta": {"edge": source == "model",
                      "abs_residual_quantiles": {source: {"0.5": 0.002, "0.8": 0.004, "0.9": 0.006}}}}
    return predictions, model


def test_preopen_block_has_overnight_inputs_and_gap_interval(markets) -> None:
    daily, us = markets
    fields = overnight_market_fields(daily, us, "preopen", *_gap(daily))
    # Mon 09:00 IST
    assert fields["decision_time"] == "preopen" and fields["decision_at"] == "2024-07-01T03:30:00Z"
    o = fields["overnight"]
    assert o["us_date"] <= "2024-06-28" and o["expected_gap"]["lower"] == pytest.approx(-0.002)
    assert o["expected_gap"]["upper_points"] > o["expected_gap"]["points"] > 0
    payload = example_payload()
    payload["market"].update(fields)
    validate_payload(mark_unavailable(payload))


def test_close_block_sees_the_previous_us_session_and_serves_no_gap(markets) -> None:
    daily, us = markets
    pre, close = (overnight_market_fields(daily, us, mode, *_gap(daily))["overnight"]
                  for mode in ("preopen", "close"))
    assert close["us_date"] < pre["us_date"] and close["expected_gap"] is None
    assert overnight_market_fields(daily, us, "close")["decision_at"] == "2024-06-28T10:00:00Z"


def test_gap_without_recorded_errors_is_marked_unavailable_not_zero(markets) -> None:
    daily, us = markets
    predictions, _ = _gap(daily, "baseline")
    payload = example_payload()
    payload["market"].update(overnight_market_fields(daily, us, "preopen", predictions,
                                                     {"meta": {"edge": False}}))
    payload = mark_unavailable(payload)
    gap = payload["market"]["overnight"]["expected_gap"]
    assert gap["lower"] is None and gap["model_source"] == "unavailable"  # the no-silent-number rule
    assert any("expected_gap" in u["path"] for u in payload["data"]["unavailable"])
    validate_payload(payload)


def test_schema_refuses_an_unknown_decision_time(markets) -> None:
    payload = example_payload()
    payload["market"]["decision_time"] = "noon"
    with pytest.raises(PayloadValidationError, match="decision_time"):
        validate_payload(payload)
    assert np.isfinite(payload["market"]["spot"])
