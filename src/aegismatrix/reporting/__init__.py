"""Report building blocks: figures (matplotlib, Agg),
metric tables and the self-contained HTML page."""

from aegismatrix.reporting.figures import to_base64_png
from aegismatrix.reporting.html import render_document
from aegismatrix.reporting.tables import comparison_table

__all__ = ["comparison_table", "render_document", "to_base64_png"]
