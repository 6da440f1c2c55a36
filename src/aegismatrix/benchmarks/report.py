"""Markdown rendering of the benchmark tables and the document around them."""

from __future__ import annotations

import pandas as pd

from .common import Table


def _cell(value) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no tabulate dependency)."""
    if frame.empty:
        frame = pd.DataFrame({"result": ["(no rows)"]})
    header = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def render_table(table: Table, level: int = 3) -> str:
    parts = [f"{'#' * level} {table.title}", "", markdown_table(table.frame)]
    if table.notes:
        parts += [""] + [f"- {n}" for n in table.notes]
    return "\n".join(parts) + "\n"


def render_document(title: str, preamble: list[str],
                    sections: list[tuple[str, list[Table]]]) -> str:
    out = [f"# {title}", "", *preamble, ""]
    for heading, tables in sections:
        out += [f"## {heading}", ""]
        out += [render_table(t) for t in tables]
    return "\n".join(out).rstrip() + "\n"
