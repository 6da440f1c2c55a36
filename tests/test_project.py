"""The project is wired as a Kedro project: every pipeline is registered and composed with its upstream,
and the research pipeline adds the research-only instances to the training run."""

from kedro.framework.project import configure_project
from kedro.framework.startup import bootstrap_project


def test_every_pipeline_is_registered(project_root):
    bootstrap_project(project_root)
    configure_project("aegismatrix")
    from aegismatrix.pipeline_registry import TRAINING, UPSTREAM, register_pipelines

    pipelines = register_pipelines()
    assert set(UPSTREAM) <= set(pipelines)
    assert "__default__" in pipelines
    assert "inference" not in TRAINING


def test_research_pipeline_adds_the_bilstm_at_every_horizon(project_root):
    bootstrap_project(project_root)
    configure_project("aegismatrix")
    from aegismatrix.pipeline_registry import register_pipelines
    from aegismatrix.pipelines.direction import RESEARCH_NAMESPACES

    pipelines = register_pipelines()
    assert [f"direction.bilstm_h{h}" for h in (1, 2, 3, 10, 20)] == RESEARCH_NAMESPACES
    research, default = pipelines["research"].all_outputs(), pipelines["__default__"].all_outputs()
    assert {f"{ns}.metrics" for ns in RESEARCH_NAMESPACES} <= research - default
    assert default <= research


def test_every_registered_pipeline_loads_when_requested_alone(project_root):
    """`kedro run --pipeline=<name>` loads only the requested pipeline (Kedro 1.7's selective
    find_pipelines)."""
    bootstrap_project(project_root)
    configure_project("aegismatrix")
    from kedro.framework.project import pipelines

    from aegismatrix.pipeline_registry import UPSTREAM

    try:
        for name in sorted(UPSTREAM):
            pipelines.set_requested([name])
            assert len(pipelines[name].nodes) > 0, name
    finally:
        pipelines.set_requested(None)
