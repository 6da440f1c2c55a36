"""Kedro project settings: config layout and hooks."""

from kedro.config import OmegaConfigLoader

from aegismatrix.engines.structure import StructureHooks
from aegismatrix.hooks import ProjectHooks
from aegismatrix.logs import LoggingHooks, filter_known_upstream_warnings
from aegismatrix.market.observed import ObservedSessionsHooks
from aegismatrix.parameters.context import AegisContext
from aegismatrix.pipelines.inference.hooks import MissingModelHooks, ServingMemoryHooks
from aegismatrix.releases.hooks import ReleaseHooks
from aegismatrix.tracking import MlflowTrackingHooks

# pluggy calls hooks last-registered first: ReleaseHooks pins load versions before MissingModelHooks looks
# at them. MissingModelHooks: never-trained models serve baselines
HOOKS = (ProjectHooks(), MissingModelHooks(), ReleaseHooks())
HOOKS += (ServingMemoryHooks(),)  # inference/backfill: per-model intermediates stay in memory
HOOKS += (ObservedSessionsHooks(),)  # a real index history's sessions are the NSE calendar of its span
HOOKS += (LoggingHooks(),)  # kedro.io switch, the model comparison printed after a training run
filter_known_upstream_warnings()  # before Kedro builds its config loader
HOOKS += (MlflowTrackingHooks(),)  # training runs -> MLflow; mlflow is imported only after a training run
HOOKS += (StructureHooks(),)  # pipelines read their instances from the run's parameters

CONTEXT_CLASS = AegisContext  # parameters derived and validated before any node runs (aegismatrix.parameters)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # an environment overriding one key keeps its siblings (the default merge replaces whole top-level blocks)
    "merge_strategy": {"parameters": "soft"},
}
