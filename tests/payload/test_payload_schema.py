"""The aegismatrix.json contract: the schema accepts the example and names the path of every violation."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from aegismatrix.payload.publish import (
    PayloadValidationError,
    dumps,
    load_schema,
    to_jsonable,
    validate_payload,
)
from tests.payload.example import example_payload


def _errors(payload: dict) -> list[tuple[str, str]]:
    with pytest.raises(PayloadValidationError) as info:
        validate_payload(payload)
    return info.value.errors


def test_schema_is_valid_draft_2020_12_and_shipped_as_package_data():
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


def test_example_payload_is_valid_and_round_trips_as_strict_json():
    payload = example_payload()
    validate_payload(payload)
    assert json.loads(dumps(payload)) == payload
    assert {h["label"] for h in payload["direction"]["horizons"]} == {"UP", "NEUTRAL", "DOWN"}
    assert payload["models"]["direction.stack_h1"]["status"] == "no_edge"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p.pop("market"), "$.market"),
        (lambda p: p["seller"].pop("trap_probability"), "$.seller.trap_probability"),
        (lambda p: p["direction"]["horizons"][2].pop("label"), "$.direction.horizons[2].label"),
        (lambda p: p["seller"].__setitem__("trap_probability", 1.3), "$.seller.trap_probability"),
        (lambda p: p["direction"]["horizons"][0].__setitem__("p_up", -0.1), "$.direction.horizons[0].p_up"),
        (lambda p: p["market"].__setitem__("spot", "24718"), "$.market.spot"),
        (lambda p: p["direction"]["horizons"][1].__setitem__("label", "BULLISH"),
         "$.direction.horizons[1].label"),
        (lambda p: p["seller"]["safe_ranges"][0].__setitem__("tenor_days", "5d"),
         "$.seller.safe_ranges[0].tenor_days"),
        (lambda p: p["buyer"]["model_source"].__setitem__("theta_ratio_forecast", "ml"),
         "$.buyer.model_source.theta_ratio_forecast"),
        (lambda p: p["models"]["seller.trap"].__setitem__("status", "maybe"),
         "$.models['seller.trap'].status"),
        (lambda p: p.__setitem__("generated_at", "2025-06-13T15:36:02+05:30"), "$.generated_at"),
        (lambda p: p.__setitem__("data_as_of", "2025-13-40"), "$.data_as_of"),
        (lambda p: p["buyer"]["gamma_windows"][0].__setitem__("start", "9:15am"),
         "$.buyer.gamma_windows[0].start"),
        (lambda p: p["seller"]["top_drivers"]["trap_probability"][0].pop("contribution"),
         "$.seller.top_drivers.trap_probability[0].contribution"),
        (lambda p: p.__setitem__("surprise", 1), "$"),
    ],
)
def test_broken_payload_is_rejected_with_its_path(mutate, path):
    payload = example_payload()
    mutate(payload)
    errors = _errors(payload)
    assert path in [p for p, _ in errors], errors


def test_published_validator_finds_the_same_violations_as_the_reference_one():
    """jsonschema-rs (payload/publish.py) against the `jsonschema` package on the same broken payload."""
    from aegismatrix.payload.publish import _path, _schema_errors

    reference = Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    payload = example_payload()
    payload["market"]["iv_context"]["vix_rank"] = 1.7  # a `$ref` with its own description
    payload["seller"]["expiries"][0]["p_touch"] = -0.2
    payload["seller"]["strategy_backtest"]["equity_curves"][0]["expiries"][0] = "2024-02-30"
    payload["direction"]["horizons"][0]["p_up"] = "high"
    del payload["buyer"]["theta_edge"]
    clean = to_jsonable(payload)
    expected = set()
    for e in reference.iter_errors(clean):
        missing = [k for k in e.validator_value if k not in e.instance] if e.validator == "required" else []
        expected |= {_path([*e.absolute_path, k]) for k in missing} or {_path(e.absolute_path)}
    found = {path for path, _ in _schema_errors(clean)}
    assert found == expected and len(found) >= 5


def test_error_message_lists_every_failing_path():
    payload = example_payload()
    payload["seller"]["trap_probability"] = 2.0
    del payload["buyer"]["theta_edge"]
    with pytest.raises(PayloadValidationError, match=r"2 error") as info:
        validate_payload(payload)
    assert "$.seller.trap_probability" in str(info.value)
    assert "$.buyer.theta_edge" in str(info.value)


def test_null_needs_a_reason():
    payload = example_payload()
    payload["buyer"]["gamma_windows"] = None
    assert "$.buyer.gamma_windows_reason" in [p for p, _ in _errors(payload)]
    payload["buyer"]["gamma_windows_reason"] = "no intraday bars in the loaded window"
    payload["seller"]["max_pain"] = {"value": None, "reason": ""}
    assert "$.seller.max_pain.reason" in [p for p, _ in _errors(payload)]
    payload["seller"]["max_pain"] = {"value": 24500.0, "reason": None}
    validate_payload(payload)


def test_both_seller_tenors_are_required():
    payload = example_payload()
    payload["seller"]["safe_ranges"] = payload["seller"]["safe_ranges"][:1]
    assert "$.seller.safe_ranges" in [p for p, _ in _errors(payload)]


def test_cross_field_rules():
    payload = example_payload()
    payload["direction"]["horizons"][3]["p_up"] = 0.5
    payload["seller"]["safe_ranges"][1]["lower"] = 27000.0
    paths = [p for p, _ in _errors(payload)]
    assert "$.direction.horizons[3]" in paths and "$.seller.safe_ranges[1]" in paths


def test_extension_allowed_where_documented():
    payload = example_payload()
    payload["market"]["market_regime"] = "sideways"
    payload["data"]["provenance"]["nifty50"]["interval"] = "1d"
    payload["models"]["seller.trap"]["training_window"] = ["2016-01-01", "2024-12-31"]
    validate_payload(payload)


def test_nan_counts_as_null():
    payload = example_payload()
    payload["seller"]["trap_probability"] = float("nan")
    assert "$.seller.trap_probability" in [p for p, _ in _errors(payload)]
    payload = example_payload()
    payload["seller"]["max_pain"] = {"value": np.float64("nan"),
                                     "reason": "option chain had no open interest"}
    payload["data"]["provenance"]["nifty50"]["cache_age_hours"] = np.nan
    validate_payload(payload)


def test_encoder_handles_numpy_and_nan():
    raw = {"a": np.float32(0.25), "b": np.int64(7), "c": np.nan, "d": np.array([1.5, np.inf]),
           "e": np.bool_(True), "f": [np.float64("-inf"), None]}
    assert to_jsonable(raw) == {"a": 0.25, "b": 7, "c": None, "d": [1.5, None], "e": True, "f": [None, None]}
    text = dumps(raw)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["b"] == 7


def test_encoder_handles_pandas_missing_values_and_dates():
    import pandas as pd

    raw = {"t": pd.Timestamp("2025-06-13"), "nat": pd.NaT, "na": pd.NA, "d": np.datetime64("2025-06-13")}
    assert to_jsonable(raw) == {"t": "2025-06-13T00:00:00", "nat": None, "na": None, "d": "2025-06-13"}


def test_numpy_payload_validates_like_plain_one():
    payload = example_payload()
    numpy_payload = copy.deepcopy(payload)
    numpy_payload["market"]["spot"] = np.float64(payload["market"]["spot"])
    numpy_payload["direction"]["horizons"][0]["horizon_days"] = np.int64(1)
    validate_payload(numpy_payload)
    assert json.loads(dumps(numpy_payload)) == payload
