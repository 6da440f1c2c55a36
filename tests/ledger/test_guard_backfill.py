"""Done-when of issue 23 item 3: a backfill over a window with a planted regime shift shows the demotion rows
in the ledger (DuckDB and PostgreSQL), and the payload entry of a run after the shift says `demoted`.

The served model's predictions frame is planted (losses 20% better than the baseline's, then 60% worse from a
stated row), demoted the way inference demotes (`causal_demotions`, then the baseline's values served); the
backfill node, the ledger rows and the ledger write are the real ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml

from aegismatrix.datasets.ledger import SignalLedgerDataset
from aegismatrix.ledger.guard import causal_demotions
from aegismatrix.ledger.serve import ServedFrames
from aegismatrix.payload import assemble
from aegismatrix.pipelines.backfill.nodes import backfill_ledger
from tests.ledger.test_scorecard import vol_rmse_ratio_to_naive

ROOT = Path(__file__).resolve().parents[2]
N, TRAINED, SHIFT, H = 260, 59, 150, 1  # rows 0..59 are the model's training data; the regime shifts at 150
GUARD = {"window": 20, "margin": 0.10, "restore_margin": 0.0}


def _planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(buyer.theta's served predictions with the guard's columns, buyer_signals built from them)."""
    rng = np.random.default_rng(3)
    dates = pd.Series(pd.bdate_range("2023-01-02", periods=N))
    base_loss = rng.gamma(2.0, 0.05, size=N)
    model_loss = base_loss * np.where(np.arange(N) < SHIFT, 0.8, 1.6)
    y = np.ones(N)
    y[-H:] = np.nan  # the last label has not matured
    verdict = causal_demotions(dates, y, model_loss, base_loss, H, dates.iloc[TRAINED], GUARD)
    model_value, base_value = np.full(N, 0.9), np.full(N, 0.7)
    demoted = verdict["demoted"].to_numpy()
    predictions = pd.concat([pd.DataFrame({
        "date": dates, "prediction": np.where(demoted, base_value, model_value),
        "model_source": np.where(demoted, "baseline", "model")}), verdict], axis=1)
    signals = pd.DataFrame({"date": dates, "theta_ratio_forecast": predictions["prediction"],
                            "theta_model_source": predictions["model_source"], "theta_edge": 0.01})
    return predictions, signals


def _backfill(ledger_url: str, predictions: pd.DataFrame, signals: pd.DataFrame) -> pd.DataFrame:
    specs = yaml.safe_load((ROOT / "conf/base/parameters_ledger.yml").read_text())["ledger"]["signals"]
    start = str(signals["date"].iloc[TRAINED + 1].date())
    trained = {"date": str(signals["date"].iloc[TRAINED].date()), "namespace": "buyer.theta"}
    served = ServedFrames({"buyer_signals": signals}, {"buyer.theta": predictions})
    append = backfill_ledger({"buyer.theta": "v1"}, {"source": "synthetic"}, None, {"start": start},
                             {"signals": [s for s in specs if s["signal"] == "buyer.theta"]}, "close",
                             trained, served)
    dataset = SignalLedgerDataset(url=ledger_url)
    dataset.save(append)
    return dataset.load()


def test_backfill_ledger_rows_show_the_demotion_from_the_stated_row_and_not_before(ledger_url):
    predictions, signals = _planted()
    rows = _backfill(ledger_url, predictions, signals)
    rows = rows[rows["signal"] == "buyer.theta"].sort_values("as_of_date").reset_index(drop=True)
    assert len(rows) == N - TRAINED - 1  # every live date, none inside the training data
    extra = rows["extra"].map(json.loads)
    flags = extra.map(lambda e: e["demoted"]).to_numpy(dtype=bool)
    first = int(np.flatnonzero(flags)[0])
    first_date = rows["as_of_date"].iloc[first]
    shift_seen = signals["date"].iloc[SHIFT + H]  # the first worse row matures H sessions after it is served
    last_allowed = signals["date"].iloc[SHIFT + H + GUARD["window"] - 1]
    assert shift_seen <= first_date <= last_allowed
    assert not flags[:first].any() and flags[first:].all()  # no recovery planted: demoted to the end
    demoted_rows = rows[flags]
    assert (demoted_rows["model_source"] == "baseline").all() and (demoted_rows["value"] == 0.7).all()
    assert (rows.loc[~flags, "model_source"] == "model").all() and (rows.loc[~flags, "value"] == 0.9).all()
    last = extra.iloc[-1]
    assert last["guard"]["since"] == str(first_date.date()) and last["theta_edge"] == 0.01
    assert last["guard"]["ratio"] > 1 + GUARD["margin"] and last["guard"]["window"] == GUARD["window"]
    assert last["guard"]["n_matured"] == N - H - (TRAINED + 1)
    assert extra.iloc[0]["guard"]["model_loss"] is None  # no full window of matured live rows yet


def test_payload_entry_after_the_shift_says_demoted_with_the_numbers(monkeypatch):
    predictions, _ = _planted()
    monkeypatch.setattr(assemble, "top_drivers", lambda *a, **k: [])  # no estimator in this planted model
    model = {"meta": {"edge": True, "status": "edge", "trained_at": "2023-03-01T00:00:00Z",
                      "training_window": ["2022-01-03", "2023-03-24"], "primary_baseline": "trailing_median"}}
    model_input = predictions[["date"]]
    entry = assemble.describe_served_model(model_input, model, {"metric": "rmse", "horizon": 1},
                                           "buyer.theta", predictions=predictions)
    entry["version"] = "v1"
    schema = json.loads((ROOT / "src/aegismatrix/payload/schema.json").read_text())
    jsonschema.validate(entry, {**schema["$defs"]["model"], "$defs": schema["$defs"]})
    assert entry["demoted"] is True and entry["model_source"] == "baseline"
    assert entry["guard"]["ratio"] > 1.1 and entry["guard"]["since"] is not None
    before = assemble.describe_served_model(model_input.iloc[:SHIFT], model, {"metric": "rmse"},
                                            "buyer.theta", predictions=predictions.iloc[:SHIFT])
    assert before["demoted"] is False and before["model_source"] == "model"
    assert before["guard"]["ratio"] < 1.0  # the guard ran and found the model better
    none = assemble.describe_served_model(model_input, model, {}, "buyer.theta", predictions=None)
    assert none["demoted"] is False and none["guard"] is None


def test_the_scorecard_scores_demoted_rows_as_served_by_the_baseline():
    """A demoted vol forecaster's rows hold the baseline's values: the scorecard's RMSE is that of the served
    series (baseline values on demoted rows), and it counts the demoted rows."""
    from aegismatrix.ledger.rows import ledger_rows
    from aegismatrix.ledger.scorecard import build_scorecard
    from tests.ledger.test_scorecard import PARAMS, SPECS, _seller_frame, synthetic_market_daily

    market = synthetic_market_daily(years=2, seed=11)
    frame = _seller_frame(market, 0.012).assign(vol_model="vol_combo")
    model_vol, base_vol = frame["vol"].to_numpy(), np.full(len(frame), 0.13)
    demoted = np.arange(len(frame)) >= len(frame) // 2
    frame["vol"] = np.where(demoted, base_vol, model_vol)  # what inference served
    frame["model_source"] = np.where(demoted, "baseline", "model")
    verdict = pd.DataFrame({"date": frame["date"], "demoted": demoted, "guard_ratio": 1.5,
                            "guard_model_loss": 0.3, "guard_baseline_loss": 0.2, "guard_n": 80,
                            "guard_window": 63, "guard_margin": 0.1, "guard_since": None})
    specs = [*SPECS[:2], {**SPECS[2], "guard": "seller.{vol_model}"}]
    rows = ledger_rows({"seller_signals": frame}, specs, market["date"], "close",
                       guards={"seller.vol_combo": verdict})
    card = build_scorecard(rows, market, PARAMS, range_target=0.1)
    assert card["demoted_rows"] == {"seller.vol_forecast": int(demoted.sum())}
    vol_rows = rows[rows["signal"] == "seller.vol_forecast"]
    assert np.allclose(vol_rows["value"].to_numpy(), frame["vol"].to_numpy())
    assert card["vol_rmse_ratio_to_naive"] == pytest.approx(vol_rmse_ratio_to_naive(market, frame["vol"]))
