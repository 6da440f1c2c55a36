"""Model beside market in the ledger (issue 22): expiry-range rows keep the market's probabilities at the
same strikes, a replay with a chain fills a row recorded without one (never replaces), and the scorecard's
Brier and calibration of both match a direct computation on the same matured rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from aegismatrix.ledger.market_score import calibration_table
from aegismatrix.ledger.rows import LedgerSpecError, ledger_rows
from aegismatrix.ledger.scorecard import build_scorecard
from aegismatrix.ledger.store import SignalLedger
from aegismatrix.market.synthetic import synthetic_market_daily

from .test_scorecard import PARAMS

ROOT = Path(__file__).parents[2]
SPEC = next(
    s
    for s in yaml.safe_load((ROOT / "conf/base/parameters_ledger.yml").read_text())["ledger"]["signals"]
    if s["signal"] == "seller.expiry_range"
)
H, BINS = 5, [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return synthetic_market_daily(years=1, seed=5)


def _ranges(market: pd.DataFrame) -> pd.DataFrame:
    """seller_expiry_ranges-like rows, H sessions to expiry, model and market probabilities that differ; every
    third date without a chain (market columns null, as market_beside_model leaves them)."""
    rng, n = np.random.default_rng(7), len(market)
    close = market["close"].to_numpy()
    frame = pd.DataFrame({
        "date": market["date"],
        "expiry": market["date"].shift(-H).fillna(market["date"].iloc[-1] + pd.Timedelta(days=9)),
        "expiry_kind": "weekly", "trading_days": H, "lower": close * 0.98, "upper": close * 1.02,
        "strike_lower": np.floor(close * 0.98 / 50) * 50, "strike_upper": np.ceil(close * 1.02 / 50) * 50,
        "p_touch": rng.uniform(0.02, 0.6, n), "p_expire_beyond": rng.uniform(0.01, 0.3, n),
        "target_breach_probability": 0.1, "model_source": "calibrated",
        "p_touch_market": rng.uniform(0.02, 0.9, n), "p_expire_beyond_market": rng.uniform(0.01, 0.45, n),
        "premium_lower": 20.0, "premium_upper": 25.0, "iv_lower": 0.2, "iv_upper": 0.16,
    })
    no_chain = np.arange(n) % 3 == 0
    frame.loc[no_chain, SPEC["market"]] = np.nan
    return frame


def _direct(market: pd.DataFrame, frame: pd.DataFrame) -> dict:
    """Plain loop over matured rows with a chain: touch / expire beyond the strikes, Brier of both."""
    high, low, close = (market[c].to_numpy() for c in ("high", "low", "close"))
    out = {"touch": ([], [], []), "expire_beyond": ([], [], [])}
    for i, row in enumerate(frame.itertuples()):
        if i + H >= len(market) or np.isnan(row.p_touch_market):
            continue
        ahead = slice(i + 1, i + H + 1)
        touch = high[ahead].max() > row.strike_upper or low[ahead].min() < row.strike_lower
        beyond = close[i + H] > row.strike_upper or close[i + H] < row.strike_lower
        for event, y, p, q in (("touch", touch, row.p_touch, row.p_touch_market),
                               ("expire_beyond", beyond, row.p_expire_beyond, row.p_expire_beyond_market)):
            out[event][0].append(float(y)), out[event][1].append(p), out[event][2].append(q)
    return {e: tuple(np.asarray(v) for v in values) for e, values in out.items()}


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    rows = ledger_rows({"seller_expiry_ranges": frame}, [SPEC], frame["date"], "close")
    return rows.assign(kind="backfill")


def test_scorecard_scores_model_and_market_on_the_same_matured_strikes(market):
    frame = _ranges(market)
    rows = _rows(frame)
    assert rows["market"].isna().sum() == (np.arange(len(frame)) % 3 == 0).sum()  # no chain: null, not "{}"
    card = build_scorecard(rows, market, {**PARAMS, "market_calibration_bins": BINS}, range_target=0.1)
    block = card["market_vs_model"]["seller.expiry_range"]
    matured = len(market) - H
    assert block["n_rows"] == len(frame)
    assert block["n_matured_with_market"] + block["n_matured_without_market"] == matured
    assert block["n_pending_with_market"] == int((np.arange(matured, len(frame)) % 3 != 0).sum())
    direct = _direct(market, frame)
    for event, (y, model, market_p) in direct.items():
        got = block["events"][event]
        assert got["n"] == len(y) == block["n_matured_with_market"] and 0 < y.mean() < 1
        assert got["event_rate"] == pytest.approx(y.mean())
        assert got["model"]["brier"] == pytest.approx(np.mean((model - y) ** 2))
        assert got["market"]["brier"] == pytest.approx(np.mean((market_p - y) ** 2))
        assert got["model"]["brier"] != pytest.approx(got["market"]["brier"])  # two forecasters, two scores
        for who, p in (("model", model), ("market", market_p)):
            table = got[who]["calibration"]
            assert sum(b["n"] for b in table) == len(y) and table == calibration_table(p, y, tuple(BINS))
    json.dumps(card, allow_nan=False)  # nothing NaN
    from aegismatrix.payload.publish import validate_payload
    from aegismatrix.payload.track_record import track_record_block
    from tests.payload.example import example_payload

    payload = example_payload()
    payload["track_record"] = track_record_block(card)
    validate_payload(payload)  # the payload carries both forecasters' Brier on the same strikes
    shown = {r["event"]: r for r in payload["track_record"]["market_vs_model"]}
    assert set(shown) == set(direct) and all(r["signal"] == "seller.expiry_range" for r in shown.values())
    for event, row in shown.items():
        assert row["model_brier"] == block["events"][event]["model"]["brier"]
        assert row["market_brier"] == block["events"][event]["market"]["brier"]


def test_calibration_bins_hold_their_rows():
    p, y = np.array([0.01, 0.04, 0.12, 0.5, 1.0]), np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    table = calibration_table(p, y, (0.0, 0.05, 0.2, 0.5, 1.0))
    got = [(b["low"], b["n"], b["event_rate"]) for b in table]
    assert got == [(0.0, 2, 0.5), (0.05, 1, 0.0), (0.5, 2, 1.0)]


def test_a_ledger_without_market_numbers_has_no_market_block(market):
    frame = _ranges(market).assign(**dict.fromkeys(SPEC["market"], np.nan))
    rows = _rows(frame)
    assert build_scorecard(rows, market, PARAMS, range_target=0.1)["market_vs_model"] == {}
    older = _rows(frame.drop(columns=SPEC["market"]))  # a frame made before issue 22: no market, no error
    assert older["market"].isna().all() and older["extra"].tolist() == rows["extra"].tolist()
    with pytest.raises(LedgerSpecError, match="iv_upper"):  # one missing of several: a spec or frame bug
        _rows(frame.drop(columns=["iv_upper"]))


def test_a_replay_with_a_chain_fills_the_market_once_and_never_replaces_it(ledger_url, market):
    frame = _ranges(market).iloc[[1, 2, 4]]  # three dates with a chain
    rows = ledger_rows({"seller_expiry_ranges": frame}, [SPEC], frame["date"], "close")
    ledger = SignalLedger(ledger_url)
    first = ledger.append({"run_id": "a", "kind": "backfill"}, rows.assign(market=None))
    assert first["inserted"] == 3 and ledger.read_signals()["market"].isna().all()
    filled = ledger.append({"run_id": "b", "kind": "backfill"}, rows)
    assert filled == {"offered": 3, "inserted": 0, "unchanged": 3, "conflicts": 0, "market_filled": 3}
    assert ledger.read_signals()["market"].tolist() == rows["market"].tolist()
    other = rows.assign(market=rows["market"].str.replace('"iv_lower": 0.2', '"iv_lower": 0.3'))
    again = ledger.append({"run_id": "c", "kind": "backfill"}, other)
    assert again == {"offered": 3, "inserted": 0, "unchanged": 3, "conflicts": 0}  # the first kept, silently
    assert ledger.read_signals()["market"].tolist() == rows["market"].tolist()
