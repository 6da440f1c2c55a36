"""A self-contained HTML report: inline CSS,
figures as base64 PNG, no scripts, no external resources."""

from __future__ import annotations

import html

import pandas as pd

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;\
padding:1em 2em;
color:#222;line-height:1.4}
h1{border-bottom:3px solid #2e6f9e}h2{border-bottom:1px solid #ccc;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;font-size:12px;margin:.5em 0 1em}th,td{border:1px solid #ddd;padding:3px 6px;
text-align:right}th{background:#f2f5f8}td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto;border:1px solid #eee}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:bold;font-size:12px}
.edge{background:#1b7f3b}.no_edge{background:#b03a2e}
.noedge-box{border:2px solid #b03a2e;background:#fbeeee;padding:.6em 1em;margin:.5em 0}
.note{color:#555;font-size:13px}nav ul{columns:3;font-size:13px}
"""


def esc(text: object) -> str:
    return html.escape(str(text))


def table_html(frame: pd.DataFrame | None, max_rows: int = 200, empty: str = "none") -> str:
    """A frame as an HTML table (escaped, floats rounded), or a note when it is empty."""
    if frame is None or frame.empty:
        return f'<p class="note">{esc(empty)}</p>'
    shown = frame.head(max_rows)
    note = f'<p class="note">first {max_rows} of {len(frame)} rows</p>' if len(frame) > max_rows else ""
    return shown.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4f}", na_rep="-",
                         border=0) + note


def figure_html(image_b64: str, alt: str) -> str:
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{image_b64}"></figure>'


def status_badge(status: str) -> str:
    label = "EDGE" if status == "edge" else "NO EDGE"
    return f'<span class="badge {esc(status)}">{label}</span>'


def no_edge_box(name: str, metrics: dict) -> str:
    """The explicit no-edge state: what failed and what is served instead."""
    skill, test = metrics["overall"]["skill"], metrics["test"]["skill"]
    return (f'<div class="noedge-box"><strong>No edge:</strong> {esc(name)} does not beat its '
            f'primary baseline <em>{esc(metrics["primary_baseline"])}</em> out of sample (skill '
            f'{skill["value"]:+.4f}, {100 * skill["level"]:.0f}% CI [{skill["ci_low"]:+.4f}, '
            f'{skill["ci_high"]:+.4f}]; final test block skill {test["value"]:+.4f}). Inference '
            'serves the baseline for this signal (<code>model_source="baseline"</code>).</div>')


def anchor(name: str) -> str:
    return "m-" + name.replace(".", "-")


def render_document(title: str, generated_at: str, sections: list[tuple[str, str, str]]) -> str:
    """The full page from (anchor, heading, body html) sections, with a table of contents."""
    toc = "".join(f'<li><a href="#{esc(a)}">{esc(h)}</a></li>' for a, h, _ in sections)
    body = "".join(f'<section id="{esc(a)}"><h2>{esc(h)}</h2>{b}</section>' for a, h, b in sections)
    return ('<!DOCTYPE html><html lang="en"><head><meta '
            f'charset="utf-8"><title>{esc(title)}</title>'
            f'<style>{CSS}</style></head><body><h1>{esc(title)}</h1>'
            f'<p class="note">Generated {esc(generated_at)}. All scores are out of sample '
            '(walk-forward folds with purge and embargo, then an untouched final test block), next '
            'to naive baselines on the same rows.</p>'
            f'<nav><ul>{toc}</ul></nav>{body}</body></html>')
