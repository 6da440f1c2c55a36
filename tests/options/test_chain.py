"""Option-chain analytics: hand-computed PCR, walls, max pain, ATM IV, wall changes; validation names
file/column/row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.datasets.option_chain import OptionChainSnapshotsDataset
from aegismatrix.options.chain import (
    ChainValidationError,
    chain_history,
    expiry_analytics,
    latest_chain_block,
    max_pain_strike,
    validate_chain,
)

SAMPLE = Path(__file__).parents[1] / "fixtures" / "option_chain"


def _raw(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame({
        "expiry": ["2024-01-04"] * 3, "strike": ["90", "100", "110"], "call_oi": ["10", "20", "70"],
        "put_oi": ["60", "30", "10"], "call_volume": ["5", "5", "10"], "put_volume": ["30", "", "10"],
        "call_iv": ["-", "14", "13"], "put_iv": ["16", "15", ""], "underlying": ["101", "101", "101"],
    })
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_expiry_analytics_hand_computed():
    chain = validate_chain(_raw(), "2024-01-03.csv")
    out = expiry_analytics(chain)
    assert out["pcr_oi"] == pytest.approx(100 / 100) and out["pcr_volume"] == pytest.approx(40 / 20)
    assert (out["call_wall_strike"], out["call_wall_oi"]) == (110.0, 70.0)
    assert (out["put_wall_strike"], out["put_wall_oi"]) == (90.0, 60.0)
    # pain at 90: calls 0; puts 30*10 + 10*20 = 500. at 100: calls 10*10 + puts 10*10 = 200.
    # at 110: 10*20+20*10 = 400
    assert out["max_pain"] == max_pain_strike(chain) == 100.0
    assert out["atm_strike"] == 100.0 and out["atm_iv"] == pytest.approx(14.5)
    assert chain["snapshot_date"].iloc[0] == pd.Timestamp("2024-01-03")


@pytest.mark.parametrize("column, values, row, text", [
    ("call_oi", ["10", "abc", "70"], 2, "'abc' is not a number"),
    ("put_oi", ["60", "", "10"], 2, "empty"),
    ("put_oi", ["60", "-5", "10"], 2, "negative"),
    ("strike", ["90", "100", "100"], 3, "twice"),
    ("expiry", ["2024-01-04", "2024-13-45", "2024-01-04"], 2, "not a date"),
    ("call_iv", ["-", "x", "13"], 2, "not a number"),
])
def test_bad_input_names_file_column_and_row(column, values, row, text):
    with pytest.raises(ChainValidationError) as error:
        validate_chain(_raw(**{column: values}), "data/01_raw/option_chain/2024-01-03.csv")
    message = str(error.value)
    assert "2024-01-03.csv" in message and f"column '{column}'" in message and f"row {row}" in message
    assert text in message


def test_missing_required_column_and_undated_file():
    with pytest.raises(ChainValidationError, match="column 'call_oi'.*required column missing"):
        validate_chain(_raw().drop(columns="call_oi"), "2024-01-03.csv")
    with pytest.raises(ChainValidationError, match="chain.csv: no `date` column"):
        validate_chain(_raw(), "chain.csv")


def test_sample_chain_history_and_wall_changes():
    chains = OptionChainSnapshotsDataset(str(SAMPLE)).load()
    assert [Path(p).name for p in chains] == ["2024-01-02.csv", "2024-01-03.csv"]
    history = chain_history(chains)
    assert len(history) == 4 and history["expiry"].nunique() == 2
    first, second = (history[history["expiry"] == pd.Timestamp("2024-01-04")].iloc[i] for i in (0, 1))
    assert (pd.isna(first["previous_snapshot_date"])
            and second["previous_snapshot_date"] == pd.Timestamp("2024-01-02"))
    assert (second["call_wall_shift_points"] == second["call_wall_strike"] - first["call_wall_strike"]
            == -100.0)
    assert second["put_wall_oi_change"] == pytest.approx(second["put_wall_oi"] - first["put_wall_oi"])
    block = latest_chain_block(history, "unused")
    assert (block["snapshot_date"] == "2024-01-03" and block["expiry"] == "2024-01-04"
            and block["reason"] is None)
    assert block["max_pain"] == block["expiries"][0]["max_pain"] and block["expiries"][0]["atm_iv"] > 0
    assert block["expiries"][0]["null_reasons"] == {}


def test_no_chain_every_field_null_with_reason(tmp_path):
    assert OptionChainSnapshotsDataset(str(tmp_path / "absent")).load() == {}
    block = latest_chain_block(chain_history({}), "no option chain supplied")
    assert block["reason"] == "no option chain supplied" and block["expiries"] == []
    assert all(v is None for k, v in block.items() if k not in ("reason", "expiries", "snapshots"))


def test_duplicate_snapshot_date_and_optional_columns_absent():
    raw = _raw().drop(columns=["call_volume", "put_volume", "call_iv", "put_iv", "underlying", "expiry"])
    history = chain_history({"a/2024-01-03.csv": raw})
    row = latest_chain_block(history, "")["expiries"][0]
    assert row["pcr_volume"] is None and row["atm_iv"] is None and row["expiry"] is None
    assert set(row["null_reasons"]) == {"pcr_volume", "atm_iv", "wall_changes"}
    with pytest.raises(ChainValidationError, match="already comes from a/2024-01-03.csv"):
        chain_history({"a/2024-01-03.csv": raw, "b/2024-01-03_copy.csv": raw})
