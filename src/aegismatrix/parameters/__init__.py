"""Parameters are derived, then validated, once per session, before any node runs.

`derive.py` fills what follows from other keys (horizons, neutral bands, breach bins, purge lengths) and
generates multi-horizon model blocks from one family definition; `validate.py` checks every key path,
type and consistent pair, naming the file a bad value came from. `context.py` plugs both into Kedro.
"""

from aegismatrix.parameters.context import load_project_parameters
from aegismatrix.parameters.derive import derive_parameters
from aegismatrix.parameters.validate import ParameterError, prepare_parameters, validate_parameters

__all__ = ["ParameterError", "derive_parameters", "load_project_parameters", "prepare_parameters",
           "validate_parameters"]
