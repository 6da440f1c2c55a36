"""Seller nodes on option data: the market beside the model at range strikes and on the ladder, and the chain
block served only for its own date (a 2024 snapshot never gives a 2022 payload its max pain; a bad chain file
costs its block a reason, not the payload its run)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd

from aegismatrix.options.chain_checks import validate_option_rows
from aegismatrix.options.nse_files import read_options_dir
from aegismatrix.options.payload import option_chain_fields
from aegismatrix.pipelines.seller.options_nodes import (
    market_beside_model,
    option_chain_analytics,
    option_chain_surface,
)

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "option_chain_nse"
DAY, WEEKLY = pd.Timestamp("2022-12-23"), pd.Timestamp("2022-12-29")
PARAMS = {
    "max_days": 100,
    "min_price": 0.5,
    "max_log_moneyness": 0.3,
    "parity_strikes": 5,
    "iv_rank_min_history": 20,
}


def _market(last: pd.Timestamp = DAY) -> pd.DataFrame:
    dates = pd.bdate_range(last - pd.Timedelta(days=60), last)
    return pd.DataFrame(
        {"date": dates, "close": 17806.8, "vix_close": [12.0 + i % 5 for i in range(len(dates))]}
    )


def _surface():
    rows, _ = read_options_dir(FIXTURE)
    chain, _ = validate_option_rows(rows, pd.Series({DAY: 17806.8}), {})
    return option_chain_surface(chain, _market(), PARAMS, 0.065)


def _ranges_and_ladder():
    ranges = pd.DataFrame(
        {
            "date": [DAY, DAY - pd.Timedelta(days=1)],
            "expiry": [WEEKLY, WEEKLY],
            "expiry_kind": "weekly",
            "expiry_rank": 1,
            "strike_lower": [17500.0, 17500.0],
            "strike_upper": [18100.0, 18100.0],
            "p_expire_beyond": 0.1,
            "p_touch": 0.2,
        }
    )
    ladder = pd.DataFrame(
        {
            "date": DAY,
            "expiry": WEEKLY,
            "expiry_kind": "weekly",
            "expiry_rank": 1,
            "strike": [17500.0, 18100.0, 18125.0],
            "side": ["put", "call", "call"],
            "distance_points": 0.0,
            "p_touch": 0.2,
            "p_expire_beyond": [0.05, 0.05, 0.0],
        }
    )
    return ranges, ladder


def test_market_beside_model_at_range_strikes_and_ladder():
    strikes, expiries = _surface()
    assert expiries["iv_rank_source"].str.startswith("india_vix").all()  # one chain date: VIX's rank, named
    ranges, ladder = market_beside_model(*_ranges_and_ladder(), strikes)
    today = ranges.iloc[0]
    assert today["premium_lower"] == 33.3 and today["premium_upper"] == 39.6  # the put and call settlements
    assert 0 < today["p_expire_beyond_market"] < today["p_touch_market"] <= 1 and pd.isna(
        today["market_reason"]
    )
    assert pd.isna(ranges.iloc[1]["p_touch_market"]) and ranges.iloc[1]["market_reason"] == (
        "no option chain for this date"
    )
    assert ladder["richness"].iloc[0] == ladder["p_expire_beyond_market"].iloc[0] / 0.05
    assert "strike" in ladder["market_reason"].iloc[2]  # 18125 is not a listed strike of that chain


def _schema_check(section: dict) -> None:
    schema = json.loads((ROOT / "src" / "aegismatrix" / "payload" / "schema.json").read_text())
    jsonschema.validate(section, {"$ref": "#/$defs/option_chain", "$defs": schema["$defs"]})


def test_chain_served_for_its_own_date_with_market_block():
    strikes, expiries = _surface()
    _, ladder = market_beside_model(*_ranges_and_ladder(), strikes)
    _, block = option_chain_analytics({}, expiries, strikes, ladder, _market(DAY))
    assert block["reason"] is None and block["snapshot_date"] == "2022-12-23"
    assert block["market"]["expiries"][0]["smile"] and len(block["market"]["ladder"]) == 3
    fields = option_chain_fields(block)
    assert fields["max_pain"]["value"] == expiries.iloc[0]["max_pain"]
    _schema_check(fields["option_chain"])


def test_a_later_snapshot_never_serves_an_earlier_payload():
    snapshot = pd.DataFrame(
        {
            "strike": ["21000", "21500"],
            "call_oi": ["10", "500"],
            "put_oi": ["900", "20"],
            "expiry": ["2024-01-04", "2024-01-04"],
        }
    )
    strikes, expiries = _surface()
    _, block = option_chain_analytics(
        {"data/01_raw/option_chain/2024-01-03.csv": snapshot},
        expiries,
        strikes,
        pd.DataFrame(columns=["date"]),
        _market(pd.Timestamp("2022-12-30")),
    )
    assert block["max_pain"] is None and "only for its own date" in block["reason"]
    assert "latest 2024-01-03" in block["reason"] and block["market"] is None
    _schema_check(option_chain_fields(block)["option_chain"])


def test_a_bad_chain_file_gives_a_reason_not_a_failed_run():
    bad = pd.DataFrame({"strike": ["100", "abc"], "call_oi": ["1", "2"], "put_oi": ["3", "4"]})
    empty = pd.DataFrame(columns=["date", "expiry"])
    _, block = option_chain_analytics(
        {"data/01_raw/option_chain/2022-12-30.csv": bad},
        empty,
        empty,
        pd.DataFrame(columns=["date"]),
        _market(pd.Timestamp("2022-12-30")),
    )
    assert block["max_pain"] is None and "2022-12-30.csv" in block["reason"] and "row 2" in block["reason"]
    _schema_check(option_chain_fields(block)["option_chain"])


def test_an_unparseable_chain_file_loads_and_gives_a_reason(tmp_path):
    from aegismatrix.datasets.option_chain import OptionChainSnapshotsDataset

    (tmp_path / "2022-12-30.csv").write_bytes(b'strike,call_oi,put_oi\n"100,1,2\n')  # an unclosed quote
    snapshots = OptionChainSnapshotsDataset(str(tmp_path)).load()
    empty = pd.DataFrame(columns=["date", "expiry"])
    _, block = option_chain_analytics(snapshots, empty, empty, pd.DataFrame(columns=["date"]),
                                      _market(pd.Timestamp("2022-12-30")))
    assert block["max_pain"] is None and "2022-12-30.csv: unreadable" in block["reason"]
