"""publish_payload validates before writing and replaces the file atomically."""

from __future__ import annotations

import json
import os

import pytest

from aegismatrix.payload.publish import PayloadValidationError, publish_payload
from aegismatrix.releases import manifest  # publish_payload writes through manifest.write_text_atomic
from tests.payload.example import example_payload


def test_publish_writes_valid_json(tmp_path):
    target = publish_payload(example_payload(), tmp_path / "out" / "aegismatrix.json")
    assert target == tmp_path / "out" / "aegismatrix.json"
    assert json.loads(target.read_text())["data_as_of"] == "2025-06-13"
    assert [p.name for p in target.parent.iterdir()] == ["aegismatrix.json"]


def test_invalid_payload_keeps_last_good_file(tmp_path):
    target = publish_payload(example_payload(), tmp_path / "aegismatrix.json")
    good = target.read_bytes()
    bad = example_payload()
    bad["buyer"]["breakout_probability"] = 1.7
    with pytest.raises(PayloadValidationError, match=r"\$\.buyer\.breakout_probability"):
        publish_payload(bad, target)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["aegismatrix.json"]


def test_invalid_payload_creates_nothing(tmp_path):
    bad = example_payload()
    del bad["seller"]
    with pytest.raises(PayloadValidationError):
        publish_payload(bad, tmp_path / "aegismatrix.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_mid_write_leaves_old_file_intact(tmp_path, monkeypatch, failing):
    target = publish_payload(example_payload(), tmp_path / "aegismatrix.json")
    good = target.read_bytes()
    newer = example_payload()
    newer["data_as_of"] = "2025-06-16"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(manifest.os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        publish_payload(newer, target)
    monkeypatch.undo()
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["aegismatrix.json"]


def test_half_written_temp_file_is_never_visible(tmp_path, monkeypatch):
    target = publish_payload(example_payload(), tmp_path / "aegismatrix.json")
    good = target.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            raise OSError("killed mid-write")

    monkeypatch.setattr(manifest.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="mid-write"):
        publish_payload(example_payload(), target)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["aegismatrix.json"]
