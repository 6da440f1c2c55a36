"""Training logs name the model and fold, and a training run ends with a comparison table of every model."""

from __future__ import annotations

from aegismatrix.logs import fit_label, fitting
from aegismatrix.reporting.tables import comparison_text


def test_fitting_labels_lines_inside_the_block_only():
    assert fit_label() == ""
    with fitting("direction.bilstm_h5/fold_2"):
        assert fit_label() == "direction.bilstm_h5/fold_2"
    assert fit_label() == ""


def _metrics(status, metric, baseline, value, low, high) -> dict:
    """A template metrics record (modelling.evaluation.summarise) with only the headline's fields filled."""
    skill = {"vs": baseline, "metric": metric, "value": value, "ci_low": low, "ci_high": high, "level": 0.9}
    block = {"n": 100, "model": {metric: 0.3}, "baselines": {baseline: {metric: 0.32}}, "skill": skill,
             "skill_vs_each_baseline": {baseline: value}}
    return {"status": status, "metric": metric, "primary_baseline": baseline, "overall": block,
            "test": {**block, "skill": {**skill, "value": value}}}


def test_comparison_table_lists_edge_models_first_with_skill_and_ci():
    edge = _metrics("edge", "qlike", "vix_scaled", 0.081, 0.01, 0.15)
    none = _metrics("no_edge", "log_loss", "class_prior", None, None, None)
    table = comparison_text({"direction.xgb_h1": none, "seller.vol_combo": edge})
    lines = table.splitlines()
    assert "90% bootstrap CI" in lines[0] and lines[1].split()[:2] == ["model", "baseline"]
    assert lines[2].split() == ["seller.vol_combo", "vix_scaled", "qlike", "+8.1%", "[+1.0%,", "+15.0%]",
                                "edge"]
    assert lines[3].split() == ["direction.xgb_h1", "class_prior", "log_loss", "n/a", "[n/a,", "n/a]",
                                "no_edge"]


def test_a_training_run_ends_with_the_comparison_in_the_log(caplog):
    from types import SimpleNamespace

    from aegismatrix.comparison_log import ModelComparisonHooks

    edge = _metrics("edge", "qlike", "vix_scaled", 0.081, 0.01, 0.15)
    pipeline = SimpleNamespace(all_outputs=lambda: {"seller.vol_combo.metrics", "seller_signals"})
    catalog = SimpleNamespace(load=lambda name: {"seller.vol_combo.metrics": edge}[name])
    with caplog.at_level("INFO", logger="aegismatrix"):
        ModelComparisonHooks().after_pipeline_run({}, pipeline, catalog)
        ModelComparisonHooks().after_pipeline_run({}, SimpleNamespace(all_outputs=set), catalog)
    [record] = [r for r in caplog.records if r.getMessage().startswith("model comparison")]
    assert "seller.vol_combo" in record.getMessage() and "+8.1%" in record.getMessage()
