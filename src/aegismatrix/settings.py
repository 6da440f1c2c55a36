"""Kedro project settings: config layout and hooks."""

from kedro.config import OmegaConfigLoader

from aegismatrix.hooks import ProjectHooks
from aegismatrix.pipelines.inference.hooks import MissingModelHooks

HOOKS = (ProjectHooks(), MissingModelHooks())  # MissingModelHooks: never-trained models serve baselines

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
