"""Model definitions; importing this package registers every estimator kind with the template."""

from aegismatrix.models import gradient_boosting, linear, volatility  # noqa: F401
from aegismatrix.models import neural, sequence, stacking  # noqa: F401  (direction engine)
from aegismatrix.models.base import ESTIMATORS, Estimator, get_estimator, register

__all__ = ["ESTIMATORS", "Estimator", "get_estimator", "register"]
