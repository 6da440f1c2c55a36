"""The feature_engineering pipeline on an in-memory catalog, and the registry doc being current."""

from __future__ import annotations

import numpy as np
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from aegismatrix.features.registry import DOC_PATH, doc_section, render_markdown
from aegismatrix.pipelines.feature_engineering import create_pipeline
from tests.features.conftest import synthetic_us_daily

OUTPUTS = ["direction_features", "seller_features", "buyer_features", "intraday_features",
           "universe_features", "feature_manifest"]


def _params(project_root) -> dict:
    text = (project_root / "conf/base/parameters_feature_engineering.yml").read_text()
    return yaml.safe_load(text)["feature_engineering"]


def _run(project_root, daily, bars, universe) -> dict:
    catalog = DataCatalog({
        "market_daily": MemoryDataset(daily), "market_intraday": MemoryDataset(bars),
        "us_daily": MemoryDataset(synthetic_us_daily(daily)),
        "params:decision_time": MemoryDataset("preopen"),
        "universe_daily": MemoryDataset({k: (lambda f=f: f) for k, f in universe.items()}),
        "params:feature_engineering": MemoryDataset(_params(project_root)),
        **{name: MemoryDataset() for name in OUTPUTS},
    })
    SequentialRunner().run(create_pipeline(), catalog)
    return {name: catalog[name].load() for name in OUTPUTS}


def test_pipeline_outputs_follow_the_contracts(project_root, synthetic_daily, synthetic_bars,
                                               synthetic_panel_input):
    out = _run(project_root, synthetic_daily, synthetic_bars, dict(list(synthetic_panel_input.items())[:3]))
    manifest = out["feature_manifest"]
    assert set(manifest) == {"direction", "seller", "buyer"}
    for engine, entry in manifest.items():
        frame = out[f"{engine}_features"]
        assert entry["features"] == list(frame.columns[1:]) and entry["n_rows"] == len(frame)
        assert isinstance(entry["fingerprint"], str) and len(entry["fingerprint"]) == 64
        assert np.isfinite(frame.drop(columns="date").to_numpy()).all()
    assert len(out["intraday_features"]) == synthetic_bars["date"].nunique()
    assert out["universe_features"]["symbol"].nunique() == 3


def test_pipeline_without_intraday_or_universe(project_root, synthetic_daily, synthetic_bars):
    out = _run(project_root, synthetic_daily, synthetic_bars.iloc[:0], {})
    assert out["intraday_features"].empty and out["universe_features"].empty
    assert out["feature_manifest"]["buyer"]["n_rows"] > 0


def test_registry_doc_is_up_to_date():
    assert doc_section(DOC_PATH.read_text(encoding="utf-8")) == render_markdown(), (
        "run `python -m aegismatrix.features`")
