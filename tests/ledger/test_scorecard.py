"""Scorecard numbers against direct computations on a synthetic market; ledger rows from engine frames."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from aegismatrix.ledger.rows import LedgerSpecError, ledger_rows
from aegismatrix.ledger.scorecard import build_scorecard, wilson
from aegismatrix.ledger.serve import BackfillRefused, ServedFrames, backfill_rows, training_data_end
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.payload.publish import validate_payload
from aegismatrix.payload.track_record import track_record_block
from tests.payload.example import example_payload

PARAMS = {
    "windows": [63, 252],
    "drift_window": 60,
    "drift_level": 0.95,
    "headline_range_signal": "seller.safe_range",
    "vol_signal": "seller.vol_forecast",
    "direction_signal": "direction.direction",
    "event_signals": {"buyer.breakout": {"atr_window": 14, "multiplier": 1.5}},
}
SPECS = [
    {
        "frame": "seller_signals",
        "signal": "seller.safe_range",
        "horizon_days": h,
        "lower": f"lo{h}",
        "upper": f"up{h}",
        "probability": f"p{h}",
        "source": "model_source",
    }
    for h in (5, 21)
]
SPECS.append({"frame": "seller_signals", "signal": "seller.vol_forecast", "horizon_days": 21, "value": "vol"})


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return synthetic_market_daily(years=3, seed=11)


def _seller_frame(market: pd.DataFrame, width: float) -> pd.DataFrame:
    close, rng = market["close"].to_numpy(), np.random.default_rng(3)
    frame = pd.DataFrame(
        {"date": market["date"], "model_source": "model", "vol": 0.12 + 0.05 * rng.random(len(market))}
    )
    for h in (5, 21):
        half = close * width * np.sqrt(h) * (0.7 + 0.6 * rng.random(len(market)))
        frame[f"lo{h}"], frame[f"up{h}"], frame[f"p{h}"] = close - half, close + half, 0.1
    return frame


def _direct_breach_rate(market: pd.DataFrame, frame: pd.DataFrame, h: int) -> tuple[float, int]:
    """Plain loop: any high above upper or low below lower in the next h sessions, matured rows only."""
    high, low, hits, n = market["high"].to_numpy(), market["low"].to_numpy(), 0, 0
    for i in range(len(market) - h):
        n += 1
        hits += bool(
            high[i + 1 : i + h + 1].max() > frame[f"up{h}"].iloc[i]
            or low[i + 1 : i + h + 1].min() < frame[f"lo{h}"].iloc[i]
        )
    return hits / n, n


def vol_rmse_ratio_to_naive(market: pd.DataFrame, vol: pd.Series) -> float:
    """The served 21-row vol's RMSE against the realised vol, over the trailing-21-row naive forecast's."""
    log_ret = np.log(market["close"]).diff().to_numpy()
    sq = []
    for i in range(21, len(market) - 21):
        realised = np.sqrt(np.mean(log_ret[i + 1 : i + 22] ** 2) * 252)
        naive = np.sqrt(np.mean(log_ret[i - 20 : i + 1] ** 2) * 252)
        sq.append(((vol.iloc[i] - realised) ** 2, (naive - realised) ** 2))
    sq = np.array(sq)
    return float(np.sqrt(sq[:, 0].mean() / sq[:, 1].mean()))


def test_breach_rates_vol_ratio_and_pending_counts_match_direct_computation(market):
    frame = _seller_frame(market, 0.012)
    rows = ledger_rows({"seller_signals": frame}, SPECS, market["date"], "close")
    card = build_scorecard(rows, market, PARAMS, range_target=0.1)
    for h in (5, 21):
        rate, n = _direct_breach_rate(market, frame, h)
        assert card[f"n_matured_{h}d"] == n and card[f"n_pending_{h}d"] == h
        assert card[f"breach_rate_{h}d"] == pytest.approx(rate, abs=1e-12)
        assert card["ranges"][f"seller.safe_range/{h}d"]["breach_rate_ci95"] == pytest.approx(
            wilson(rate * n, n)
        )
    assert card["vol_rmse_ratio_to_naive"] == pytest.approx(vol_rmse_ratio_to_naive(market, frame["vol"]),
                                                            rel=1e-9)
    rolling = card["ranges"]["seller.safe_range/5d"]["rolling"]
    assert (
        len(rolling["63"]) == card["n_matured_5d"] - 62 and len(rolling["252"]) == card["n_matured_5d"] - 251
    )
    json.dumps(card, allow_nan=False)


def test_a_range_far_from_its_target_raises_a_drift_flag_shown_in_the_payload(market):
    rows = ledger_rows({"seller_signals": _seller_frame(market, 0.001)}, SPECS, market["date"], "close")
    card = build_scorecard(rows, market, PARAMS, range_target=0.1)
    assert "seller.safe_range/5d" in card["drifting"] and card["breach_rate_5d"] > 0.5
    payload = example_payload()
    payload["track_record"] = track_record_block(card)
    validate_payload(payload)
    assert payload["track_record"]["drift"][0]["signal"].startswith("seller.safe_range")
    payload["track_record"] = track_record_block(None)
    validate_payload(payload)
    assert payload["track_record"]["available"] is False and "scorecard" in payload["track_record"]["reason"]


def test_rows_follow_specs_including_expiries_and_never_look_ahead():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2021-01-04"] * 2),
            "expiry": pd.to_datetime(["2021-01-28"] * 2),
            "expiry_kind": ["weekly", "monthly"],
            "trading_days": [18, 18],
            "lower": [1.0, 2.0],
            "upper": [3.0, 4.0],
            "p_touch": [0.1, 0.2],
            "model_source": "calibrated",
            "realised_touch_range": [1.0, 0.0],
        }
    )
    spec = {
        "frame": "x",
        "signal": "seller.expiry_range",
        "expiry_column": "expiry",
        "key_columns": ["expiry_kind"],
        "horizon_days_column": "trading_days",
        "lower": "lower",
        "upper": "upper",
        "probability": "p_touch",
    }
    rows = ledger_rows({"x": frame}, [spec], "latest", "close")
    assert rows["horizon"].tolist() == ["expiry:2021-01-28:weekly", "expiry:2021-01-28:monthly"]
    assert rows["horizon_days"].tolist() == [18, 18] and not any("realised" in str(e) for e in rows["extra"])
    with pytest.raises(LedgerSpecError, match="no columns"):
        ledger_rows({"x": frame}, [{**spec, "value": "missing_column"}], "latest", "close")


def test_backfill_refuses_dates_inside_a_models_training_data(market):
    bundle = {
        "meta": {
            "data_provenance": {"symbols": {"nifty50": {"last_date": "2020-12-31"}}},
            "training_window": ["2012-01-02", "2020-11-30"],
        }
    }
    assert training_data_end({"seller.trap": bundle, "seller.breach_5d": None}) == (
        pd.Timestamp("2020-12-31"),
        "seller.trap",
    )
    frames = {"seller_signals": _seller_frame(market, 0.01)}
    served = ServedFrames(frames, {})
    args = ({}, {"source": "synthetic"}, None)
    trained = {"date": "2020-12-31", "namespace": "seller.trap"}
    with pytest.raises(BackfillRefused, match="inside the training data of seller.trap"):
        backfill_rows(*args, {"start": "2020-12-31"}, {"signals": SPECS}, "close", trained, served)
    start = frames["seller_signals"]["date"].iloc[-30]
    out = backfill_rows(*args, {"start": str(start.date())}, {"signals": SPECS}, "close", {}, served)
    assert (
        out["run"]["kind"] == "backfill"
        and out["rows"]["as_of_date"].min() == start
        and len(out["rows"]) == 90
    )


def test_direction_and_breakout_scores_against_their_baselines(market):
    dates = market["date"]
    direction = pd.DataFrame(
        {
            "date": dates,
            "horizon_days": 1,
            "p_down": 0.3,
            "p_neutral": 0.25,
            "p_up": 0.45,
            "neutral_band": 0.0025,
            "predicted_direction": "UP",
            "conviction": 0.15,
            "model_source": "baseline",
        }
    )
    buyer = pd.DataFrame({"date": dates, "breakout_probability": 0.1, "model_source": "baseline"})
    specs = [
        {
            "frame": "direction_signals",
            "signal": "direction.direction",
            "horizon_days_column": "horizon_days",
            "label": "predicted_direction",
            "probability": "conviction",
            "extra": ["p_down", "p_neutral", "p_up", "neutral_band"],
        },
        {
            "frame": "buyer_signals",
            "signal": "buyer.breakout",
            "horizon_days": 1,
            "probability": "breakout_probability",
        },
    ]
    rows = ledger_rows({"direction_signals": direction, "buyer_signals": buyer}, specs, dates, "close")
    card = build_scorecard(rows, market, PARAMS, range_target=None)
    ret = market["close"].shift(-1) / market["close"] - 1
    y = np.where(ret > 0.0025, 2, np.where(ret < -0.0025, 0, 1))[:-1]
    block = card["direction"]["1d"]
    assert block["n_matured"] == len(market) - 1 and block["n_pending"] == 1
    assert block["log_loss"] == pytest.approx(-np.mean(np.log(np.array([0.3, 0.25, 0.45])[y])), rel=1e-12)
    assert block["accuracy"] == pytest.approx(np.mean(y == 2), rel=1e-12)
    events = card["events"]["buyer.breakout"]
    assert events["n_matured"] == len(market) - 14  # 13 rows of ATR(14) warm-up and the pending last day
    assert events["brier"] == pytest.approx(
        0.01 + 0.8 * events["event_rate"]
    )  # mean((0.1 - y)^2) with y in {0, 1}
    assert events["auc"] == 0.5  # a constant probability ranks nothing


def test_a_matured_move_interval_without_probability_scores_without_nan(market):
    """Issue 26 defect 1: direction.move rows (no probability) once matured made the scorecard NaN."""
    close = market["close"]
    move = pd.DataFrame({"date": market["date"], "horizon_days": 1, "model_source": "baseline",
                         "expected_abs_move_points": close * 0.006, "move_lower_points": close * 0.001,
                         "move_upper_points": close * 0.012})
    spec = {"frame": "direction_signals", "signal": "direction.move", "horizon_days_column": "horizon_days",
            "value": "expected_abs_move_points", "lower": "move_lower_points", "upper": "move_upper_points"}
    rows = ledger_rows({"direction_signals": move}, [spec], market["date"], "close")
    card = build_scorecard(rows, market, PARAMS, range_target=0.1)
    json.dumps(card, allow_nan=False)
    assert "direction.move/1d" not in card["ranges"] and card["drift_flags"] == []
    block = card["moves"]["direction.move/1d"]
    realised = (close.shift(-1) - close).abs().iloc[:-1]
    served = move.iloc[:-1]
    inside = (realised >= served["move_lower_points"]) & (realised <= served["move_upper_points"])
    assert block["n_matured"] == len(market) - 1 and block["n_pending"] == 1
    assert block["coverage"] == pytest.approx(inside.mean(), rel=1e-12)
    assert block["mean_abs_error_points"] == pytest.approx(
        (realised - move["expected_abs_move_points"].iloc[:-1]).abs().mean(), rel=1e-9)
    assert "mean_probability" not in block and "brier" not in block


def test_no_scorecard_number_is_nan_when_served_probabilities_are_null(market):
    """A range row served with a null probability is scored without NaN (never a silent number)."""
    frame = _seller_frame(market, 0.012).assign(p5=np.nan)
    rows = ledger_rows({"seller_signals": frame}, SPECS, market["date"], "close")
    card = build_scorecard(rows, market, PARAMS, range_target=None)
    json.dumps(card, allow_nan=False)
    assert card["ranges"]["seller.safe_range/5d"]["mean_breach_probability"] is None


def test_in_sample_rows_are_counted_never_scored(market):
    """Issue 26 defect 4: inference rows inside the training data were scored like live ones."""
    frame = _seller_frame(market, 0.012)
    rows = ledger_rows({"seller_signals": frame}, SPECS, market["date"], "close")
    live = build_scorecard(rows.assign(kind="inference"), market, PARAMS, range_target=0.1)
    early = rows["as_of_date"] < market["date"].iloc[100]
    flagged = rows.assign(kind=np.where(early, "in_sample", "backfill"))
    card = build_scorecard(flagged, market, PARAMS, range_target=0.1)
    assert card["in_sample_rows"] == 3 * 100 and card["ledger_rows"] == len(rows)
    assert card["n_matured_5d"] == live["n_matured_5d"] - 100
