"""Kedro project settings: config layout and hooks."""

from kedro.config import OmegaConfigLoader

from aegismatrix.comparison_log import ModelComparisonHooks
from aegismatrix.hooks import ProjectHooks
from aegismatrix.logs import LoggingHooks, filter_known_upstream_warnings
from aegismatrix.market.observed import ObservedSessionsHooks
from aegismatrix.parameters.context import LOADER_ARGS, AegisContext
from aegismatrix.pipelines.inference.hooks import MissingModelHooks, ServingMemoryHooks
from aegismatrix.releases.hooks import ReleaseHooks
from aegismatrix.tracking import MlflowTrackingHooks

# pluggy calls hooks last-registered first: ReleaseHooks pins load versions before MissingModelHooks looks
# at them. MissingModelHooks: never-trained models serve baselines
HOOKS = (ProjectHooks(), MissingModelHooks(), ReleaseHooks())
HOOKS += (ServingMemoryHooks(),)  # inference/backfill: per-model intermediates stay in memory
HOOKS += (ObservedSessionsHooks(),)  # a real index history's sessions are the NSE calendar of its span
HOOKS += (LoggingHooks(), ModelComparisonHooks())  # kedro.io switch, progress; the comparison after training
filter_known_upstream_warnings()  # before Kedro builds its config loader
HOOKS += (MlflowTrackingHooks(),)  # training runs -> MLflow; mlflow is imported only after a training run

CONTEXT_CLASS = AegisContext  # parameters derived and validated before any node runs (aegismatrix.parameters)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = LOADER_ARGS  # base env, local default env, parameters merged key by key (context.py)
