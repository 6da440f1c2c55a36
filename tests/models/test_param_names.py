"""Parameter names are declared without importing the estimators' libraries (models/defaults.py), so a
run's parameter check imports none of them; the declarations must match what each library accepts."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from aegismatrix.models.base import ESTIMATOR_MODULES, get_estimator, param_names
from aegismatrix.models.defaults import PARAM_NAMES

HEAVY = ("xgboost", "lightgbm", "catboost", "torch", "arch", "sklearn")


@pytest.mark.parametrize("kind", ["xgb_classifier", "xgb_regressor", "xgb_random_forest", "lgbm_classifier",
                                  "lgbm_regressor"])
def test_declared_names_are_the_library_parameters(kind):
    cls = get_estimator(kind)
    module = importlib.import_module("xgboost" if kind.startswith("xgb") else "lightgbm")
    library = set(getattr(module, cls.wrapper)().get_params())
    extra = {"deterministic", "force_row_wise"} if kind.startswith("lgbm") else set()
    assert set(PARAM_NAMES[kind]) == library | extra
    assert cls.param_names() == PARAM_NAMES[kind]


def test_every_kind_is_checked_without_importing_a_model_library():
    code = ("import sys\n"
            "from aegismatrix.models.base import ESTIMATOR_MODULES, check_params\n"
            "for kind in ESTIMATOR_MODULES:\n"
            "    check_params(kind, {})\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert all(param_names(kind) is not None for kind in ESTIMATOR_MODULES)


def test_an_unknown_parameter_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="did you mean 'max_depth'"):
        from aegismatrix.models.base import check_params

        check_params("xgb_classifier", {"max_dept": 3})


def test_the_serving_pipeline_is_built_without_a_training_library():
    """Building the inference pipeline imports its node modules (the template, its bundle and
    training helpers): none may import a training-only library at module level (optuna: ~0.15 s of
    every serving run)."""
    code = ("import sys\n"
            "from aegismatrix.pipelines.inference import create_pipeline\n"
            "create_pipeline()\n"
            f"print(sorted(m for m in {(*HEAVY, 'optuna', 'shap')!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
