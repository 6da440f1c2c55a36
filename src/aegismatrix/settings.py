"""Kedro project settings: config layout and hooks."""

from kedro.config import OmegaConfigLoader

from aegismatrix.hooks import ProjectHooks

HOOKS = (ProjectHooks(),)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
