"""Issue 25 item 2: each engine's declaration (aegismatrix/engines) is the one place its signals,
candidates and payload section are stated; instances are the YAML's model blocks. Fast checks, no
session."""

from __future__ import annotations

import pytest

from aegismatrix.engines import ENGINES, declaration, is_model_block
from aegismatrix.engines import direction as direction_engine
from aegismatrix.parameters import load_project_parameters


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


def test_the_payload_drivers_map_agrees_with_the_declarations(params):
    """`inference.signal_models` (which model explains which payload signal) names each signal's
    fixed model, or the first of its candidates."""
    for engine, mapping in params["inference"]["signal_models"].items():
        declared = declaration(engine).signal_models(params[engine])
        assert {signal: declared[signal] for signal in mapping} == mapping


def test_direction_layout_is_the_yaml_horizons(params):
    layout = direction_engine.layout(params["direction"])
    assert list(layout["horizons"]) == ["1", "2", "3", "5", "10", "20"]
    assert layout["horizons"]["5"] == {
        "classifiers": ["xgb_h5", "lgbm_h5", "catboost_h5", "bilstm_h5", "xgb_pooled_h5"],
        "magnitude": "magnitude_h5", "reported": ["mlp_magnitude_h5"]}
    pooled = {i.name for i in direction_engine.instances(params["direction"]) if i.pooled}
    assert pooled == {"xgb_pooled_h1", "xgb_pooled_h5"}  # the blocks' `pool:` key, nothing in code
