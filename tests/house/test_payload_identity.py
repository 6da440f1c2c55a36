"""Issue 25 item 3: the payload convention changed (engine sections pure, no mutation after
assembly, one `mark_unavailable`, one explainer) and the payload did not: the fixed inputs of
`payload_fixed_run.py` give the bytes the code gave before the change
(`data/payload_<variant>.json`, written by that code), apart from `generated_at`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.payload.publish import dumps
from aegismatrix.pipelines.inference.nodes import assemble_inference_payload
from aegismatrix.pipelines.inference.publishing import check_for_publishing

from .payload_fixed_run import (
    EXPLAINED,
    GENERATED_AT,
    VARIANTS,
    fixed_inputs,
    toy_bundle,
)

DATA = Path(__file__).parent / "data"
STAMP = re.compile(r'^  "generated_at": "[^"]+",$', re.MULTILINE)


def _dicts(inputs: dict) -> str:
    return json.dumps({k: v for k, v in inputs.items() if isinstance(v, dict)}, sort_keys=True,
                      default=str)


def _masked(text: str) -> str:
    return STAMP.sub(f'  "generated_at": "{GENERATED_AT}",', text)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_payload_of_a_fixed_run_is_byte_identical_to_the_one_before(variant):
    inputs = fixed_inputs(variant)
    signals = inputs.pop("signals")
    frames = {f"{k}_signals": v for k, v in signals.items()}
    payload = assemble_inference_payload(**inputs, **frames)
    text = dumps(check_for_publishing(payload))
    expected = (DATA / f"payload_{variant}.json").read_text()
    assert _masked(text) == _masked(expected)
    assert json.loads(text)["data"]["unavailable"]  # the fixed run exercises the unavailable rule


def test_assembly_changes_none_of_its_inputs():
    inputs = fixed_inputs("intraday")
    signals = inputs.pop("signals")
    copies = {k: v.copy() for k, v in signals.items()}
    before = _dicts(inputs)
    assemble_inference_payload(**inputs, **{f"{k}_signals": v for k, v in signals.items()})
    after = _dicts(inputs)
    assert after == before  # records, context, scorecard, parameters: untouched
    for engine, frame in signals.items():
        pd.testing.assert_frame_equal(frame, copies[engine])


@pytest.mark.parametrize("kind", EXPLAINED)
def test_the_one_explainer_gives_the_drivers_the_payload_twin_gave(kind, tmp_path):
    from aegismatrix.modelling.explain import latest_contributions

    frame, bundle = toy_bundle(kind, str(tmp_path))
    expected = json.loads((DATA / "latest_contributions.json").read_text())[kind]
    for row, values in expected.items():
        # the NumPy TreeSHAP (models/trees.py) replaced the libraries' own: equal to float rounding
        # (XGBoost computes in float32, the NumPy pass in float64)
        got = latest_contributions(frame, bundle, int(row)).to_dict()
        assert got == pytest.approx(values, rel=1e-6, abs=1e-9)
