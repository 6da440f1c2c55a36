"""The publish node: a valid payload is written atomically; a broken one fails and the last good file
stays."""

from __future__ import annotations

import copy
import json

import pytest

from aegismatrix.payload.publish import PayloadValidationError
from aegismatrix.pipelines.inference.nodes import publish
from tests.payload.example import example_payload


def test_broken_payload_is_rejected_and_the_last_good_one_stays(tmp_path):
    path = tmp_path / "out" / "aegismatrix.json"
    params = {"payload_path": str(path), "dashboard_dir": str(tmp_path / "dashboard")}
    good = example_payload()
    assert publish(good, params) is good
    before = path.read_bytes()
    assert json.loads(before)["data_as_of"] == good["data_as_of"]
    assert ((tmp_path / "dashboard" / "index.html").exists()
            and (tmp_path / "dashboard" / "aegismatrix.json").exists())

    broken = copy.deepcopy(good)
    # not a probability (NaN would be served null: unavailable)
    broken["seller"]["trap_probability"] = 1.3
    del broken["buyer"]["gamma_windows_reason"]            # missing key
    with pytest.raises(PayloadValidationError) as info:
        publish(broken, params)
    assert "$.seller.trap_probability" in str(info.value) and "gamma_windows_reason" in str(info.value)
    assert path.read_bytes() == before                      # last good payload untouched
    assert [p.name for p in path.parent.iterdir()] == ["aegismatrix.json"]  # no temp file left behind
