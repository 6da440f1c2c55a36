"""Kedro project settings: config layout and hooks."""

from aegismatrix.comparison_log import ModelComparisonHooks
from aegismatrix.engines.structure import StructureHooks
from aegismatrix.hooks import ProjectHooks
from aegismatrix.logs import LoggingHooks, filter_known_upstream_warnings
from aegismatrix.market.observed import ObservedSessionsHooks
from aegismatrix.parameters.context import (
    LOADER_ARGS,
    AegisCatalog,
    AegisConfigLoader,
    AegisContext,
)
from aegismatrix.pipelines.inference.hooks import MissingModelHooks, ServingMemoryHooks
from aegismatrix.releases.hooks import ReleaseHooks
from aegismatrix.tracking import MlflowTrackingHooks

# pluggy calls hooks last-registered first: ReleaseHooks pins load versions before MissingModelHooks
# looks at them. MissingModelHooks: never-trained models serve baselines
HOOKS = (ProjectHooks(), MissingModelHooks(), ReleaseHooks())
HOOKS += (ServingMemoryHooks(),)  # inference/backfill: saved intermediates are read back from memory
# a real index history's sessions are the NSE calendar of its span
HOOKS += (ObservedSessionsHooks(),)
# kedro.io switch, progress; the comparison after training
HOOKS += (LoggingHooks(), ModelComparisonHooks())
filter_known_upstream_warnings()  # before Kedro builds its config loader
# training runs -> MLflow; mlflow is imported only after a training run
HOOKS += (MlflowTrackingHooks(),)
HOOKS += (StructureHooks(),)  # pipelines read their instances from the run's parameters

# parameters derived and validated before any node runs (aegismatrix.parameters)
CONTEXT_CLASS = AegisContext

# parameters registered with their copy mode stated (context.py)
DATA_CATALOG_CLASS = AegisCatalog

CONFIG_LOADER_CLASS = AegisConfigLoader
# base env, local default env, parameters merged key by key (context.py)
CONFIG_LOADER_ARGS = LOADER_ARGS
