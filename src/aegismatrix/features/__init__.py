"""Causal feature layer: indicator library, registry, engine feature sets, fingerprint, intraday and
universe."""

from .engine import build_engine_features, drop_warmup
from .feature_sets import ENGINE_SETS, ENGINES, feature_set
from .fingerprint import fingerprint
from .registry import REGISTRY

__all__ = ["ENGINES", "ENGINE_SETS", "REGISTRY", "build_engine_features", "drop_warmup",
           "feature_set", "fingerprint"]
