"""Issue 12 finding 6: a changed model blob or metadata is refused on load; a bundle trained for other label
parameters (e.g. breach bins for target 0.2 served against 0.1) is refused by inference, naming the key."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from aegismatrix.datasets.model_bundle import BundleIntegrityError, ModelBundleDataset
from aegismatrix.modelling.bundle import LabelMismatchError, from_bundle, to_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.template import predict_frozen
from aegismatrix.modelling.training import train_fold

PARAMS = {"feature_set": "toy", "label": {"name": "forward_excursion_ratio", "horizon": 5}, "horizon": 5,
          "label_bins": [0.8], "class_names": ["inside", "breach"],
          "estimator": {"kind": "xgb_classifier",
                        "params": {"n_estimators": 20, "max_depth": 2, "n_jobs": 1}},
          "baselines": [{"name": "base_rate", "kind": "class_prior"}], "primary_baseline": "base_rate",
          "metric": "log_loss", "tuning": {"n_trials": 0}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=n), "a": rng.normal(size=n),
                          "b": rng.normal(size=n)})
    frame["label"] = frame["a"] + 0.5 * rng.normal(size=n)
    params = {**PARAMS, "tuning": {"n_trials": 0, "storage_dir": str(tmp_path_factory.mktemp("optuna"))}}
    cfg = ModelConfig.from_params(params)
    fitted = train_fold(frame, ["a", "b"], np.arange(n), cfg, "toy")
    bundle = to_bundle(fitted, cfg, ["a", "b"], "fp",
                       {"name": "seller.breach_5d", "edge": True, "status": "edge"})
    return frame, bundle, params


def _saved(tmp_path, bundle):
    dataset = ModelBundleDataset(filepath=str(tmp_path / "model"))
    dataset.save(bundle)
    return dataset, tmp_path / "model"


def test_bundle_records_a_sha256_per_blob_and_loads_back(tmp_path, trained):
    _, bundle, _ = trained
    dataset, folder = _saved(tmp_path, bundle)
    meta = json.loads((folder / "meta.json").read_text())
    assert (set(meta["blob_sha256"]) == set(bundle["blobs"])
            and all(len(h) == 64 for h in meta["blob_sha256"].values()))
    loaded = dataset.load()
    assert loaded["blobs"] == bundle["blobs"]
    from_bundle(loaded)


def test_changed_but_parseable_blob_is_refused(tmp_path, trained):
    frame, bundle, _ = trained
    dataset, folder = _saved(tmp_path, bundle)
    blob = next(iter(bundle["blobs"]))
    # a different but valid model in the same format: what finding 6 served as `model` (0.080 -> 0.998)
    other = to_bundle(train_fold(frame.assign(label=-frame["label"]), ["a", "b"], np.arange(len(frame)),
                                 ModelConfig.from_params(trained[2]), "toy"),
                      ModelConfig.from_params(trained[2]), ["a", "b"], "fp", {})
    (folder / blob).write_bytes(other["blobs"][blob])
    with pytest.raises(BundleIntegrityError, match=rf"blob {blob} .*refusing"):
        dataset.load()


def test_edited_metadata_and_missing_checksums_are_refused(tmp_path, trained):
    _, bundle, _ = trained
    dataset, folder = _saved(tmp_path, bundle)
    meta = json.loads((folder / "meta.json").read_text())
    meta["edge"] = not meta["edge"]
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BundleIntegrityError, match="meta.json does not match"):
        dataset.load()
    del meta["blob_sha256"]
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BundleIntegrityError, match="no sha256"):
        dataset.load()


def test_inference_refuses_a_model_trained_for_other_label_parameters(trained):
    frame, bundle, params = trained
    manifest = {"toy": {"fingerprint": "fp", "features": ["a", "b"]}}
    served = predict_frozen(frame, bundle, manifest, params)
    assert len(served) == len(frame)
    with pytest.raises(LabelMismatchError,
                       match=r"label_bins=\[0\.8\].*params:seller\.breach_5d\.label_bins=\[0\.9\]"):
        predict_frozen(frame, bundle, manifest, {**params, "label_bins": [0.9]})
    with pytest.raises(LabelMismatchError, match=r"params:seller\.breach_5d\.label\.name"):
        predict_frozen(frame, bundle, manifest, {**params, "label": {"name": "forward_return", "horizon": 5}})
