"""Issue 12 finding 2: a NaN/inf never becomes 0.0; it is served as null, marked `unavailable`, with a
reason."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from aegismatrix.payload.assemble import assemble_payload
from aegismatrix.payload.publish import validate_payload
from aegismatrix.payload.unavailable import UnservableValueError, mark_unavailable

from .conftest import INFERENCE_PARAMS

SIGNAL_COLUMNS = {
    "direction": ["p_down", "p_neutral", "p_up", "neutral_band", "conviction", "expected_abs_move_points",
                  "move_lower_points", "move_upper_points"],
    "seller": ["vol_forecast_21d", "p_vol_low", "p_vol_medium", "p_vol_high", "trap_probability",
               "safe_lower_5d", "safe_upper_5d", "breach_probability_5d", "safe_lower_21d", "safe_upper_21d",
               "breach_probability_21d"],
    "buyer": ["breakout_probability", "spike_up_probability", "p_breakout_up", "p_breakout_down",
              "theta_ratio_forecast", "theta_edge"],
}


def _assemble(market, provenance, signals):
    return assemble_payload(market, provenance, signals, {}, {}, INFERENCE_PARAMS,
                            gamma_windows={"windows": [{"start": "09:15", "end": "09:45",
                                                        "typical_abs_move_points": 40.0}],
                                           "reason": None}, max_pain={"max_pain": None, "reason": "no chain"})


def _leaves(node, path="$"):
    """(path, value) of every leaf of a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, node


def _set(node, path, value):
    """Set the leaf at a `$.a.b[0].c` path."""
    parts = [p for p in path[2:].replace("[", ".[").split(".") if p]
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    node[int(last[1:-1]) if last.startswith("[") else last] = value


def test_nan_vol_forecast_is_null_and_unavailable_never_zero_labelled_model(market, signals, provenance):
    signals["seller"].loc[signals["seller"].index[-1], "vol_forecast_21d"] = np.nan
    payload = _assemble(market, provenance, signals)
    validate_payload(payload)
    assert payload["seller"]["vol_forecast_21d"] is None  # was max(0.0, nan) == 0.0 labelled `model`
    assert payload["seller"]["model_source"]["vol_forecast_21d"] == "unavailable"
    listed = {u["path"]: u for u in payload["data"]["unavailable"]}
    assert listed["$.seller.vol_forecast_21d"]["source"] == "unavailable"
    assert any("vol_forecast_21d" in w for w in payload["data"]["warnings"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("engine,column", [(e, c) for e, cols in SIGNAL_COLUMNS.items() for c in cols])
def test_every_signal_column_that_is_not_finite_is_served_null(market, signals, provenance, engine, column,
                                                               bad):
    clean = _assemble(market, provenance, copy.deepcopy(signals))
    frame = signals[engine]
    frame.loc[frame["date"] == frame["date"].max(), column] = bad
    payload = _assemble(market, provenance, signals)
    validate_payload(payload)
    before, after = dict(_leaves(clean)), dict(_leaves(payload))
    changed = [p for p in before if p in after and after[p] != before[p] and "model_source" not in p
               and not p.startswith(("$.data", "$.generated_at"))]
    assert changed, f"{engine}.{column} = {bad} changed nothing in the payload"
    assert all(after[p] is None for p in changed
               if not isinstance(before[p], str)
               or p.endswith(("label", "spike_bias", "vol_regime"))), changed
    assert not any(after[p] == 0.0 and before[p] != 0.0 for p in changed)
    listed = {u["path"] for u in payload["data"]["unavailable"]}
    assert {p for p in changed if after[p] is None} <= listed
    assert "unavailable" in {v for p, v in after.items()
                             if p.endswith("model_source") or ".model_source." in p}


def test_every_numeric_payload_field_becomes_null_with_a_reason(market, signals, provenance):
    clean = _assemble(market, provenance, signals)
    numeric = [p for p, v in _leaves(clean) if isinstance(v, float) and not p.startswith("$.models")
               and p != "$.market.spot"]
    assert len(numeric) > 40
    for path in numeric:
        for bad in (math.nan, math.inf):
            payload = copy.deepcopy(clean)
            _set(payload, path, bad)
            mark_unavailable(payload)
            validate_payload(payload)
            assert dict(_leaves(payload))[path] is None, path
            assert path in {u["path"] for u in payload["data"]["unavailable"]}, path


def test_non_finite_spot_fails_the_run_instead(market, signals, provenance):
    payload = _assemble(market, provenance, signals)
    payload["market"]["spot"] = math.nan
    with pytest.raises(UnservableValueError, match="market.spot"):
        mark_unavailable(payload)
