"""build_engine_features: contract, set sizes, no volume dependence, no VIX open, fingerprint behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.features import ENGINE_SETS, ENGINES, REGISTRY, build_engine_features

EXPECTED_SIZES = {"direction": 26, "seller": 29, "buyer": 30}


def test_engine_set_sizes_and_registry_membership() -> None:
    assert {e: len(ENGINE_SETS[e]) for e in ENGINES} == EXPECTED_SIZES
    for names in ENGINE_SETS.values():
        assert len(set(names)) == len(names)
        assert all(n in REGISTRY and REGISTRY[n].needs != "volume" for n in names)


@pytest.mark.parametrize("engine", ENGINES)
def test_frame_contract(synthetic_daily: pd.DataFrame, engine: str) -> None:
    frame, entry = build_engine_features(synthetic_daily, engine)
    assert list(frame.columns) == ["date", *ENGINE_SETS[engine]]
    assert (frame["date"].dtype == "datetime64[ns]" and frame["date"].is_monotonic_increasing
            and frame["date"].is_unique)
    values = frame.drop(columns="date")
    assert (values.dtypes == "float64").all() and np.isfinite(values.to_numpy()).all()
    assert entry["features"] == list(ENGINE_SETS[engine]) and entry["n_rows"] == len(frame)
    assert frame["date"].iloc[-1] == synthetic_daily["date"].iloc[-1]  # today's row is never lost
    assert len(synthetic_daily) - len(frame) <= 275  # only the warm-up went


def test_missing_volume_changes_nothing(synthetic_daily: pd.DataFrame) -> None:
    for engine in ENGINES:
        a, ea = build_engine_features(synthetic_daily, engine)
        b, eb = build_engine_features(synthetic_daily.assign(volume=np.nan), engine)
        pd.testing.assert_frame_equal(a, b)
        assert ea == eb


@pytest.mark.real_data
def test_real_data_keeps_the_last_rows_after_volume_ends(real_daily: pd.DataFrame) -> None:
    for engine in ENGINES:
        frame, _ = build_engine_features(real_daily, engine)
        assert frame["date"].iloc[-1] == pd.Timestamp("2022-12-30")


def test_vix_open_is_never_read(synthetic_daily: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    garbage = synthetic_daily.assign(vix_open=rng.uniform(1, 100, len(synthetic_daily)))
    for engine in ENGINES:
        pd.testing.assert_frame_equal(build_engine_features(synthetic_daily, engine)[0],
                                      build_engine_features(garbage, engine)[0])


def test_unsorted_input_is_sorted(synthetic_daily: pd.DataFrame) -> None:
    shuffled = synthetic_daily.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(build_engine_features(shuffled, "buyer")[0],
                                  build_engine_features(synthetic_daily, "buyer")[0])


def test_fingerprint_stable_and_sensitive(synthetic_daily: pd.DataFrame) -> None:
    _, a = build_engine_features(synthetic_daily, "direction")
    _, b = build_engine_features(synthetic_daily.iloc[:900], "direction")
    assert a["fingerprint"] == b["fingerprint"]  # same names, params and code: data length does not matter
    _, c = build_engine_features(synthetic_daily, "direction",
                                 {"feature_sets": {"direction": ["rsi_14", "ret_1d"]}})
    assert c["features"] == ["rsi_14", "ret_1d"] and c["fingerprint"] != a["fingerprint"]
    fps = {build_engine_features(synthetic_daily, e)[1]["fingerprint"] for e in ENGINES}
    assert len(fps) == 3


def test_bad_requests_fail_loudly(synthetic_daily: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        build_engine_features(synthetic_daily, "straddle")
    with pytest.raises(KeyError):
        build_engine_features(synthetic_daily, "buyer", {"feature_sets": {"buyer": ["no_such_feature"]}})
    with pytest.raises(ValueError):
        build_engine_features(synthetic_daily.drop(columns="high"), "buyer")


def test_sector_source_adds_its_features_and_refuses_without_sector_close(
        synthetic_daily: pd.DataFrame) -> None:
    with_sector, entry = build_engine_features(synthetic_daily, "direction",
                                               {"sources": {"sector": ["direction"]}})
    assert {"sector_rel_ret_5d", "sector_corr_63d"} <= set(entry["features"])
    assert np.isfinite(with_sector[entry["features"]].to_numpy()).all()
    with pytest.raises(ValueError, match="data_ingestion.sector"):
        build_engine_features(synthetic_daily.drop(columns=["sector_close"]), "direction",
                              {"sources": {"sector": ["direction"]}})


def test_the_code_hash_follows_code_not_layout(tmp_path) -> None:
    """Wrapping a line, a comment or a docstring keeps every trained model's fingerprint; code does not."""
    from aegismatrix.features.fingerprint import source_hash

    versions = {
        "same": 'def f(a, b):\n    """Sum."""\n    return a + b  # why\n',
        "wrapped": 'def f(a,\n      b):\n    """The sum,\n    wrapped."""\n    # why\n    return a + b\n',
        "changed": 'def f(a, b):\n    """Sum."""\n    return a - b\n',
    }
    hashes = {}
    for name, text in versions.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.py").write_text(text)
        hashes[name] = source_hash(tmp_path / name, ("*.py",))
    assert hashes["same"] == hashes["wrapped"] != hashes["changed"]
