"""The project's KedroContext: parameters are derived and validated once, before any node runs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from warnings import warn

from kedro.config import MissingConfigException, OmegaConfigLoader
from kedro.framework.context import CatalogCommandsMixin, KedroContext
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset

from aegismatrix.engines.structure import loader_parameters
from aegismatrix.parameters.derive import soft_merge
from aegismatrix.parameters.validate import parameter_sources, prepare_parameters

# How the project's config is loaded (settings.py registers it with Kedro;
# the loader below reads it too).
LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment overriding one key keeps its siblings
    # (the default merge replaces whole top-level blocks)
    "merge_strategy": {"parameters": "soft"},
}


class AegisConfigLoader(OmegaConfigLoader):
    """Kedro's OmegaConfigLoader whose `soft` merge of the run environment over `base` works on the
    resolved dicts (`derive.soft_merge`, the merge the family blocks use too): OmegaConf rebuilt
    all 2,000 parameter nodes to merge them, even with an empty `conf/local` (~0.45 s a run)."""

    @staticmethod
    def _soft_merge(config: dict[str, Any], env_config: dict[str, Any],
                    env_path: str | None = None) -> dict[str, Any]:
        return soft_merge(config, env_config)


class AegisCatalog(DataCatalog, CatalogCommandsMixin):
    """Kedro's DataCatalog (with the `kedro catalog` commands Kedro mixes into its default class)
    that registers each parameter as a MemoryDataset copied by `deepcopy`: the mode Kedro infers for
    any YAML value, stated up front. Inferring it tries `import ibis` on every save and load, a
    failing import of a package not installed here: catalog creation 0.63 -> 0.29 s for the 2,008
    parameter datasets of a run (docs/inference.md)."""

    def __setitem__(self, key: str, value: Any) -> None:
        is_parameter = key == "parameters" or key.startswith("params:")
        if is_parameter and not isinstance(value, AbstractDataset):
            value = MemoryDataset(data=value, copy_mode="deepcopy")
        super().__setitem__(key, value)


class AegisContext(KedroContext):
    """KedroContext whose `params` are derived (parameters/derive.py) and validated
    (parameters/validate.py)."""

    def _get_validated_params(self) -> dict:
        # once per context: its config loader (env, runtime params) is fixed; `context.params` is
        # read by hooks and by the run. Kedro's own pass (super()) builds every registered
        # pipeline only to instantiate pydantic-typed node parameters, which no node here
        # declares, and reads the files a second time: the raw read is shared with the
        # pipelines' structure instead.
        cached = self.__dict__.get("_aegis_params")
        if cached is not None:
            return cached
        loader = self.config_loader
        try:
            # a copy: the shared read is also what the pipelines' structure is built from
            raw = copy.deepcopy(loader_parameters(loader))
        except MissingConfigException as exc:  # as Kedro's own pass does
            warn(f"Parameters not found in your Kedro project config.\n{exc!s}", stacklevel=3)
            raw = copy.deepcopy(self._runtime_params or {})
        base, origin = parameter_sources(Path(loader.conf_source), loader.env,
                                         loader.runtime_params, base_env=loader.base_env or "base")
        prepared = prepare_parameters(raw, base, origin)
        self.__dict__["_aegis_params"] = prepared
        return prepared


def load_project_parameters(project_path: Path, env: str | None = None,
                            runtime_params: dict | None = None) -> dict:
    """The parameters a run of `project_path` would get
    (derived and validated), without a session."""
    conf = Path(project_path) / "conf"
    loader = AegisConfigLoader(str(conf), env=env, runtime_params=runtime_params, **LOADER_ARGS)
    base, origin = parameter_sources(conf, loader.env, runtime_params,
                                     base_env=loader.base_env or "base")
    return prepare_parameters(loader["parameters"], base, origin)
