"""Training logs name the model and fold, and a training run ends with a comparison table of every model."""

from __future__ import annotations

from aegismatrix.logs import comparison_row, comparison_table, fit_label, fitting


def test_fitting_labels_lines_inside_the_block_only():
    assert fit_label() == ""
    with fitting("direction.bilstm_h5/fold_2"):
        assert fit_label() == "direction.bilstm_h5/fold_2"
    assert fit_label() == ""


def test_comparison_table_lists_edge_models_first_with_skill_and_ci():
    edge = {"status": "edge", "overall": {"skill": {"vs": "vix_scaled", "metric": "qlike", "value": 0.081,
                                                    "ci_low": 0.01, "ci_high": 0.15, "level": 0.9}}}
    none = {"status": "no_edge", "primary_baseline": "class_prior", "metric": "log_loss", "overall": {}}
    table = comparison_table([comparison_row("direction.xgb_h1", none), comparison_row("seller.vol_combo", edge)])
    lines = table.splitlines()
    assert "90% bootstrap CI" in lines[0] and lines[1].split()[:2] == ["model", "baseline"]
    assert lines[2].split() == ["seller.vol_combo", "vix_scaled", "qlike", "+8.1%", "[+1.0%,", "+15.0%]", "edge"]
    assert lines[3].split() == ["direction.xgb_h1", "class_prior", "log_loss", "n/a", "[n/a,", "n/a]", "no_edge"]
