"""The project is wired as a Kedro project: every pipeline is registered and composed with its upstream."""

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
