"""The parameters a pipeline's structure is read from when Kedro registers pipelines
(`create_pipeline()` takes no arguments): those of the run's own config loader (env, `--params`),
recorded by `StructureHooks` when a session creates its context, which Kedro does before it loads
any pipeline (`kedro run`, `kedro viz`, `kedro jupyter`); without a session (a bare
`bootstrap_project`), the project in the working directory, else this checkout's `conf/` in its
default run environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

# "loader": the config loader of the last context created in this process
_LOADER: dict[str, Any] = {}
_CACHE: dict[str, dict] = {}
# "read": (config loader, its raw parameters), the last loader's read (loader_parameters)
_READ: dict[str, tuple[Any, dict]] = {}


class StructureHooks:
    """Records the run's config loader, so pipelines registered next read the run's parameters."""

    # tryfirst: before any other hook (a plugin's too) can read the params, which registers pipelines
    @hook_impl(tryfirst=True)
    def after_context_created(self, context) -> None:
        _LOADER["loader"] = context.config_loader


def _project_conf() -> Path | None:
    from kedro.utils import find_kedro_project

    for start in (Path.cwd(), Path(__file__).resolve()):
        project = find_kedro_project(start)
        if project is not None and (Path(project) / "conf" / "base").is_dir():
            return Path(project) / "conf"
    return None


def _loader():
    # settings: the project's config loader once Kedro configured it (bootstrap_project)
    from kedro.framework.project import settings

    conf = _project_conf()
    if conf is None:
        raise FileNotFoundError("no Kedro project (conf/base) found to read the engines' "
                                "instances from")
    return settings.CONFIG_LOADER_CLASS(str(conf), **settings.CONFIG_LOADER_ARGS)


def engine_section(engine: str, params: dict | None = None) -> dict:
    """`engine`'s parameter section of `params` (default: the current project's raw parameters)."""
    return (params if params is not None else structure_parameters()).get(engine) or {}


def structure_parameters() -> dict:
    """The current project's raw parameters (pipelines read their engine's section): those of the
    last context's config loader, else of the project found on disk. Read-only: shared."""
    loader = _LOADER.get("loader")
    if loader is not None and Path(loader.conf_source).is_dir():
        return loader_parameters(loader)
    # no session: a fresh loader per call, so its read is kept by conf folder, env and --params
    loader = _loader()
    key = json.dumps([str(loader.conf_source), loader.env, loader.runtime_params], sort_keys=True,
                     default=str)
    if key not in _CACHE:
        _CACHE[key] = loader["parameters"]
    return _CACHE[key]


def loader_parameters(loader) -> dict:
    """`loader["parameters"]`, read once per config loader: a session's context (its `params`) and
    the pipelines registered under it share one read (~0.5 s each). Read-only: callers copy it.
    Keyed by the loader object, not its folder: each session builds a new loader, so a new session
    (`%reload_kedro`, another project, an edited parameter file) reads its files afresh."""
    read = _READ.get("read")
    if read is None or read[0] is not loader:
        # only the latest: a session's reads happen between its context's creation and its run
        read = _READ["read"] = (loader, loader["parameters"])
    return read[1]
