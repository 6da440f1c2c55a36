"""Model definitions. Estimator kinds register themselves when their module is imported; the
template imports a kind's module on first use (base.ESTIMATOR_MODULES), so torch loads only for
neural models."""

from aegismatrix.models.base import ESTIMATOR_MODULES, ESTIMATORS, Estimator, get_estimator, register

__all__ = ["ESTIMATOR_MODULES", "ESTIMATORS", "Estimator", "get_estimator", "register"]
