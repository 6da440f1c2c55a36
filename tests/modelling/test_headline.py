"""One headline record decides which number is a model's score (issue: five flatteners before)."""

from __future__ import annotations

from aegismatrix.modelling.headline import headline, walk_forward_loss


def _metrics(metric: str) -> dict:
    key = "rmse" if metric == "mse" else metric
    block = {"n": 100, "model": {key: 1.0, "mae": 0.5},
             "baselines": {"naive": {key: 2.0}, "other": {key: 3.0}},
             "skill": {"value": 0.5, "ci_low": 0.2, "ci_high": 0.7, "level": 0.9},
             "skill_vs_each_baseline": {"naive": 0.5, "other": 0.67}}
    return {"name": "seller.x", "metric": metric, "primary_baseline": "naive", "status": "edge",
            "overall": block, "test": {**block, "n": 20, "skill": {**block["skill"], "value": 0.1}},
            "walk_forward": {**block, "model": {key: 1.5}}}


def test_headline_reads_the_score_of_the_metric_next_to_the_primary_baseline():
    for metric in ("mse", "qlike", "log_loss"):
        row = headline(_metrics(metric))
        assert (row["model_score"], row["baseline_score"]) == (1.0, 2.0)
        assert ((row["skill"], row["ci_low"], row["test_skill"], row["n_oos"], row["n_test"])
                == (0.5, 0.2, 0.1, 100, 20))
        assert walk_forward_loss(_metrics(metric)) == 1.5  # selection never reads the final test block
