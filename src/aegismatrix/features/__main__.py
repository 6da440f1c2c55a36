"""`python -m aegismatrix.features` regenerates docs/features.md from the registry."""

from .registry import write_doc

print(write_doc())
