"""The ablation's calibration table: served probabilities (model with edge, else the primary baseline)
before the new sources and as served, from the same walk-forward rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.benchmarks.ablation import render_calibration, served_ece


def _oos(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=n).astype(float)
    frame = pd.DataFrame({"label": y, "p_down": np.where(y == 0, 0.99, 0.01)})
    frame["p_up"] = 1 - frame["p_down"]
    # miscalibrated on 50/50
    frame["baseline_base_rate__p_down"], frame["baseline_base_rate__p_up"] = 0.8, 0.2
    return frame


def test_served_ece_reads_the_model_with_edge_and_the_baseline_without():
    oos = _oos()
    with_edge = {"task": "classification", "edge": True, "primary_baseline": "base_rate"}
    without = {**with_edge, "edge": False}
    assert served_ece(oos, with_edge) < 0.02 and served_ece(oos, without) > 0.25
    assert served_ece(oos, {"task": "regression", "edge": True}) is None


def test_calibration_table_compares_before_and_as_served():
    rows = [{"model": "seller.trap", "decision_time": "close", "variant": v, "status": s, "served_ece": e}
            for v, s, e in (("none", "no_edge", 0.010), ("+overnight", "edge", 0.02),
                            ("served", "edge", 0.030))]
    table = render_calibration(pd.DataFrame(rows))
    assert "| `seller.trap` | close | baseline 0.0100 | model 0.0300 | +0.0200 |" in table
