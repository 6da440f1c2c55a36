"""MLflow tracking from the Kedro hook: parameters flattened, headline metrics, the release and the run
index."""

from __future__ import annotations

import json

import pytest

from aegismatrix.tracking import MlflowTrackingHooks, flatten, model_metrics

METRICS = {
    "metric": "log_loss",
    "primary_baseline": "class_prior",
    "edge": False,
    "status": "no_edge",
    "overall": {
        "model": {"log_loss": 1.05},
        "baselines": {"class_prior": {"log_loss": 1.06}},
        "skill": {"value": 0.0094, "ci_low": -0.01, "ci_high": 0.02},
    },
}


def test_flatten_and_headline_metrics():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {"a.b": "1", "a.c": "[1, 2]", "d": "None"}
    assert model_metrics("seller.trap", METRICS) == {
        "seller.trap.score": 1.05,
        "seller.trap.baseline_score": 1.06,
        "seller.trap.skill": 0.0094,
        "seller.trap.skill_ci_low": -0.01,
        "seller.trap.skill_ci_high": 0.02,
        "seller.trap.edge": 0.0,
    }


class _Catalog(dict):
    def load(self, name):
        return self.get(name)

    def save(self, name, data):
        self[name] = data

    def __contains__(self, name):
        return name == "mlflow_releases"


class _Context:
    params = {
        "tracking": {
            "enabled": True,
            "tracking_uri": "mlruns",
            "experiment": "test",
            "log_params": ["seller"],
        },
        "seller": {"safe_range": {"target_breach_probability": 0.1}},
    }


def test_a_training_run_is_logged_and_indexed(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    hooks, catalog = MlflowTrackingHooks(), _Catalog()
    hooks.after_context_created(_Context())
    run_params = {
        "run_id": "2026-01-01T00.00.00.000Z",
        "pipeline_names": ["seller"],
        "project_path": str(tmp_path),
    }
    hooks.before_pipeline_run(run_params, None, catalog)
    hooks.after_dataset_saved("seller.trap.metrics", METRICS, None)
    hooks.after_dataset_saved("seller.trap.model", {"meta": {}}, None)
    hooks.after_pipeline_run(run_params, None, None, catalog)
    entry = catalog["mlflow_releases"]["2026-01-01T00.00.00.000Z"]
    run_dir = next((tmp_path / "mlruns").glob(f"*/{entry['run_id']}"))
    assert entry["models"] == ["seller.trap"]
    assert (run_dir / "params" / "seller.safe_range.target_breach_probability").read_text() == "0.1"
    assert (run_dir / "metrics" / "seller.trap.skill").exists()
    assert (run_dir / "tags" / "kedro.save_version").read_text() == "2026-01-01T00.00.00.000Z"
    release = json.loads((run_dir / "artifacts" / "release.json").read_text())
    assert release["models"]["seller.trap"]["status"] == "no_edge"


def test_runs_without_models_are_not_tracked(tmp_path):
    hooks, catalog = MlflowTrackingHooks(), _Catalog()
    hooks.after_context_created(_Context())
    run_params = {"run_id": "v", "pipeline_names": ["inference"], "project_path": str(tmp_path)}
    hooks.before_pipeline_run(run_params, None, catalog)
    hooks.after_dataset_saved("seller.trap.metrics", METRICS, None)
    hooks.after_pipeline_run(run_params, None, None, catalog)
    assert "mlflow_releases" not in dict(catalog) and not (tmp_path / "mlruns").exists()


def _failed_tracking(tmp_path, uri: str, caplog) -> tuple[_Catalog, float]:
    """Run the hook against a tracking URI that cannot take the run; returns the catalog and the seconds."""
    import threading
    import time

    hooks, catalog = MlflowTrackingHooks(), _Catalog()
    context = _Context()
    context.params = {**_Context.params, "tracking": {**_Context.params["tracking"], "tracking_uri": uri,
                                                      "timeout_s": 2}}
    hooks.after_context_created(context)
    run_params = {"run_id": "v1", "pipeline_names": ["seller"], "project_path": str(tmp_path)}
    hooks.before_pipeline_run(run_params, None, catalog)
    hooks.after_dataset_saved("seller.trap.model", {"meta": {}}, None)
    errors: list[BaseException] = []

    def run():
        try:
            hooks.after_pipeline_run(run_params, None, None, catalog)
        except BaseException as error:  # noqa: BLE001 - the test reports whatever escaped the hook
            errors.append(error)

    start = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the tracking hook blocked the run for more than 30 s"
    assert not errors, f"the tracking hook failed the run: {errors[0]!r}"
    return catalog, time.monotonic() - start


def test_an_unreachable_tracking_server_costs_seconds_and_never_fails_the_run(tmp_path, caplog):
    """Issue 26 defect 3: an MLflow outage cost 4.5 minutes of retries, then exit 1 and no release."""
    pytest.importorskip("mlflow")
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level("WARNING", logger="aegismatrix.tracking"):
        catalog, seconds = _failed_tracking(tmp_path, f"http://user:secret@127.0.0.1:{port}", caplog)
    assert seconds < 10 and "mlflow_releases" not in dict(catalog)
    assert "not logged" in caplog.text and "secret" not in caplog.text


def test_an_unwritable_tracking_folder_never_fails_the_run(tmp_path, caplog):
    pytest.importorskip("mlflow")
    (tmp_path / "a_file").write_text("not a folder")
    with caplog.at_level("WARNING", logger="aegismatrix.tracking"):
        catalog, _ = _failed_tracking(tmp_path, str(tmp_path / "a_file" / "mlruns"), caplog)
    assert "not logged" in caplog.text and "mlflow_releases" not in dict(catalog)
