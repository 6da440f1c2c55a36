"""Issue 25 item 2: each engine's declaration (aegismatrix/engines) is the one place its signals,
candidates and payload section are stated; instances are the YAML's model blocks. Fast checks, no
session."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.engines import ENGINES, declaration, is_model_block
from aegismatrix.engines import direction as direction_engine
from aegismatrix.parameters import load_project_parameters
from aegismatrix.payload.sections.buyer import buyer_section


@pytest.fixture(scope="module")
def params(project_root):
    return load_project_parameters(project_root)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_model_block_is_an_instance_unless_benchmark_only(params, engine):
    section = params[engine]
    names = declaration(engine).namespaces(section, research=True)
    members = set(direction_engine.members(section)) if engine == "direction" else set()
    blocks = {f"{engine}.{n}" for n, b in section.items() if is_model_block(b) and n not in members}
    benchmark_only = {f"{engine}.{n}" for n in section.get("benchmark_only") or []}
    assert blocks - benchmark_only <= set(names) and not benchmark_only & set(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("engine", ENGINES)
def test_declared_signals_name_instances_and_a_payload_section(params, engine):
    engine_decl, section = declaration(engine), params[engine]
    instances = {i.name for i in engine_decl.instances(section)}
    for signal in engine_decl.signals:
        models = signal.models(section)
        assert models and set(models) <= instances, (signal.name, models)
        assert signal.baseline(section, section) is not None
    assert callable(engine_decl.section_function())


def test_the_payload_drivers_follow_the_declarations(params):
    """Which model explains which payload signal is the engine's declaration (no second map in
    parameters_inference.yml): each declared model serving with edge shows its drivers under its
    signal, and a model not declared for a signal (the pooled candidate) shows none."""
    assert "signal_models" not in params["inference"]
    assert declaration("seller").signal_models(params["seller"]) == {
        "vol_forecast_21d": "seller.vol_garch", "vol_regime": "seller.vol_regime",
        "trap_probability": "seller.trap", "breach_probability_5d": "seller.breach_5d",
        "breach_probability_21d": "seller.breach_21d"}
    declared = declaration("buyer").signal_models(params["buyer"])
    assert declared == {"breakout_probability": "buyer.breakout",
                        "spike_up_probability": "buyer.spike", "theta_ratio_forecast": "buyer.theta"}
    records = {ns: {"model_source": "model", "drivers": [{"feature": ns}]}
               for ns in [*declared.values(), "buyer.breakout_pooled"]}
    day = pd.Timestamp("2024-06-28")
    row = pd.DataFrame({"date": [day], "breakout_probability": [0.1], "spike_up_probability": [0.6],
                        "p_breakout_up": [0.06], "p_breakout_down": [0.04],
                        "theta_ratio_forecast": [0.8], "theta_edge": [0.2],
                        "model_source": ["model"]})
    body = buyer_section(row, records, row, day, params["inference"], params["buyer"]).body
    assert body["top_drivers"] == {signal: [{"feature": ns}] for signal, ns in declared.items()}


def test_direction_layout_is_the_yaml_horizons(params):
    layout = direction_engine.layout(params["direction"])
    assert list(layout["horizons"]) == ["1", "2", "3", "5", "10", "20"]
    assert layout["horizons"]["5"] == {
        "classifiers": ["xgb_h5", "lgbm_h5", "catboost_h5", "bilstm_h5", "xgb_pooled_h5"],
        "magnitude": "magnitude_h5", "reported": ["mlp_magnitude_h5"]}
    pooled = {i.name for i in direction_engine.instances(params["direction"]) if i.pooled}
    assert pooled == {"xgb_pooled_h1", "xgb_pooled_h5"}  # the blocks' `pool:` key, nothing in code
