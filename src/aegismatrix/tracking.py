"""Experiment tracking: every training run is logged to MLflow through MLflow's own API from this Kedro hook.

A run counts as training when it saves at least one `<engine>.<model>.model`. After it succeeds, one MLflow
run gets the run's parameters (flattened), each model's out-of-sample score, baseline score and skill, tags
with the Kedro save version (= the models' version), and the release (`release.json`: namespace -> version,
status, skill). The index `data/10_tracking/releases.json` (dataset `mlflow_releases`) maps the save version
to the MLflow run id, so inference and backfill record in the ledger which MLflow run trained what they
served. mlflow is imported only after a training run (never on the inference path). kedro-mlflow was not used:
it works with Kedro 1.7 but its entry-point hook and CLI import mlflow at every Kedro start
(docs/track_record.md).

Tracking is best-effort: it never blocks or fails a release. A server URI is probed first
(`tracking.timeout_s`, default 5 s) and MLflow's own HTTP client gets that timeout and no retries (its
defaults retried for minutes); any failure is logged as a warning (URL without its password) and the run
goes on, without an index entry.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

MODEL = re.compile(r"^(?P<ns>[^.]+\.[^.]+)\.model$")
METRICS = re.compile(r"^(?P<ns>[^.]+\.[^.]+)\.metrics$")
MAX_PARAM_LENGTH = 6000  # MLflow's limit per parameter value
DEFAULT_TIMEOUT_S = 5.0


class TrackingUnavailable(RuntimeError):
    """The tracking server cannot be reached within the timeout."""


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """{"a.b.c": "value"} for every leaf (lists as JSON), the way MLflow shows parameters."""
    if isinstance(tree, dict) and tree:
        out: dict[str, str] = {}
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    text = json.dumps(tree, default=str) if isinstance(tree, (list, dict)) else str(tree)
    return {prefix: text[:MAX_PARAM_LENGTH]}


def model_metrics(ns: str, metrics: dict) -> dict[str, float]:
    """Headline numbers of one model's template metrics (overall out-of-sample block)."""
    overall, out = metrics.get("overall") or {}, {}
    name = metrics.get("metric")
    score = (overall.get("model") or {}).get("rmse" if name == "mse" else name)
    baseline = ((overall.get("baselines") or {}).get(metrics.get("primary_baseline")) or {}).get(
        "rmse" if name == "mse" else name
    )
    skill = overall.get("skill") or {}
    for key, value in {
        "score": score,
        "baseline_score": baseline,
        "skill": skill.get("value"),
        "skill_ci_low": skill.get("ci_low"),
        "skill_ci_high": skill.get("ci_high"),
        "edge": float(bool(metrics.get("edge"))),
    }.items():
        if isinstance(value, (int, float)) and value == value:
            out[f"{ns}.{key}"] = float(value)
    return out


class MlflowTrackingHooks:
    """Logs training runs to MLflow (see the module docstring); configured by `tracking` in
    parameters_tracking.yml."""

    def __init__(self):
        self._params: dict = {}
        self._metrics: dict[str, dict] = {}
        self._models: set[str] = set()

    @hook_impl
    def after_context_created(self, context) -> None:
        try:
            self._params = dict(context.params)
        except Exception as error:  # invalid parameters fail the run elsewhere with the full message
            logger.debug("tracking: parameters unavailable (%s)", error)
            self._params = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        self._metrics, self._models = {}, set()

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node) -> None:
        if MODEL.match(dataset_name):
            self._models.add(MODEL.match(dataset_name)["ns"])
        elif (match := METRICS.match(dataset_name)) and isinstance(data, dict):
            self._metrics[match["ns"]] = data

    @hook_impl
    def after_pipeline_run(self, run_params: dict, run_result, pipeline, catalog) -> None:
        config = self._params.get("tracking") or {}
        if not self._models or not config.get("enabled", False):
            return
        uri = config["tracking_uri"]
        if "://" not in uri and run_params.get("project_path"):  # a relative folder lives in the project
            config = {**config, "tracking_uri": os.path.join(run_params["project_path"], uri)}
        try:
            run_id = log_training_run(config, run_params, self._params, self._metrics, sorted(self._models))
        except Exception as error:  # best-effort: an outage never blocks the release (issue 26 defect 3)
            logger.warning("tracking: MLflow run not logged in %s (%s: %s); the run and its release go on",
                           _safe(config["tracking_uri"]), type(error).__name__, _safe(str(error)))
            return
        _update_index(
            catalog,
            run_params["run_id"],
            {
                "run_id": run_id,
                "tracking_uri": config["tracking_uri"],
                "pipelines": run_params.get("pipeline_names"),
                "models": sorted(self._models),
            },
        )


def _release(run_params: dict, metrics: dict[str, dict], models: list[str]) -> dict:
    return {
        "kedro_version": run_params["run_id"],
        "pipelines": run_params.get("pipeline_names"),
        "models": {
            ns: {
                "version": run_params["run_id"],
                "status": (metrics.get(ns) or {}).get("status"),
                "skill": ((metrics.get(ns) or {}).get("overall") or {}).get("skill"),
            }
            for ns in models
        },
    }


def log_training_run(
    config: dict, run_params: dict, params: dict, metrics: dict[str, dict], models: list[str]
) -> str:
    """One MLflow run for a finished training run; returns its run id."""
    uri = config["tracking_uri"]
    if (
        "://" not in uri
    ):  # a local folder: MLflow 3.17's file store is in maintenance mode and refuses without this
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        os.makedirs(uri, exist_ok=True)
    timeout = float(config.get("timeout_s") or DEFAULT_TIMEOUT_S)
    check_reachable(uri, timeout)
    # MLflow's HTTP client retries with backoff for minutes by default
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(max(timeout, 1))))
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(config["experiment"])
    names = "+".join(run_params.get("pipeline_names") or ["__default__"])
    with mlflow.start_run(run_name=f"{names} {run_params['run_id']}") as run:
        mlflow.set_tags(
            {
                "kedro.save_version": run_params["run_id"],
                "kedro.pipelines": names,
                "kedro.env": str(run_params.get("env")),
                "aegismatrix.models": ",".join(models),
            }
        )
        flat = flatten({k: v for k, v in params.items() if k.split(".")[0] in set(config["log_params"])})
        for start in range(0, len(flat), 100):  # MLflow accepts at most 100 parameters per call
            mlflow.log_params(dict(list(flat.items())[start : start + 100]))
        numbers = {k: v for ns, m in metrics.items() for k, v in model_metrics(ns, m).items()}
        if numbers:
            mlflow.log_metrics(numbers)
        mlflow.log_dict(_release(run_params, metrics, models), "release.json")
    logger.info(
        "tracking: MLflow run %s (%d models, %d metrics) in %s",
        run.info.run_id,
        len(models),
        len(numbers),
        uri,
    )
    return run.info.run_id


def check_reachable(uri: str, timeout: float) -> None:
    """For an http(s) tracking server: one TCP connection within `timeout` s, else TrackingUnavailable."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as error:
        raise TrackingUnavailable(f"{parts.hostname}:{port} unreachable within {timeout:g} s ({error})") \
            from None


def _safe(text: str) -> str:
    """A URL (or a message holding one) without passwords, for logs."""
    from aegismatrix.ledger.db import redact

    return redact(text)


def _update_index(catalog, save_version: str, entry: dict) -> None:
    """Add this training run to the release index (dataset `mlflow_releases`), keeping earlier entries."""
    if "mlflow_releases" not in catalog:
        return
    index = catalog.load("mlflow_releases") or {}
    index[save_version] = entry
    catalog.save("mlflow_releases", index)
