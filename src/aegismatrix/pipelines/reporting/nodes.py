"""Thin nodes of the reporting pipeline: stored metrics, predictions and signals in, figures and
HTML out.

Each figure node returns the matplotlib Figure (saved by its own catalog dataset) and a section dict
(`{"anchor", "heading", "html"}`, a memory dataset) that embeds the same figure as a base64 PNG.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from aegismatrix.reporting import backtest as B
from aegismatrix.reporting import figures as F
from aegismatrix.reporting import html as H
from aegismatrix.reporting import tables as T


def _section(anchor: str, heading: str, body: str) -> dict:
    return {"anchor": anchor, "heading": heading, "html": body}


def model_report(metrics: dict, oos_predictions: pd.DataFrame, shap_importance: pd.DataFrame,
                 params: dict):
    """One model's diagnostics, skill-per-block and importance figures (PNG bytes, rendered once for
    the files and the page) plus its report section (the model's namespace is the name its metrics
    carry)."""
    namespace = metrics["name"]
    dpi, max_rows = params.get("figure_dpi", 72), params.get("max_table_rows", 200)
    classifier = metrics.get("task") == "classification"
    diagnose = F.classifier_diagnostics if classifier else F.regression_diagnostics
    diagnostics = F.png_bytes(diagnose(namespace, metrics, oos_predictions), dpi)
    skill = F.png_bytes(F.skill_by_block(namespace, metrics), dpi)
    importance = F.png_bytes(F.importance_figure(namespace, shap_importance,
                                                 params.get("top_features", 15)),
                             dpi)
    overall = metrics["overall"]["skill"]
    body = [
        f'<p>{H.status_badge(metrics["status"])} task: {H.esc(metrics.get("task"))}; metric: '
        f'<strong>{H.esc(metrics["metric"])}</strong>; primary baseline: '
        f'<strong>{H.esc(metrics["primary_baseline"])}</strong>; skill {overall["value"]:+.4f} '
        f'({100 * overall["level"]:.0f}% CI [{overall["ci_low"]:+.4f}, '
        f'{overall["ci_high"]:+.4f}]); final test block skill '
        f'{metrics["test"]["skill"]["value"]:+.4f}.</p>',
        "" if metrics["status"] == "edge" else H.no_edge_box(namespace, metrics),
        "<h3>Walk-forward: per fold</h3>", H.table_html(T.block_table(metrics, "folds"), max_rows),
        "<h3>Per calendar year</h3>", H.table_html(T.block_table(metrics, "per_year"), max_rows,
                                                   "no year with 20 or more scored rows"),
        "<h3>All scores, model and baselines on the same rows (overall)</h3>",
        H.table_html(T.scores_table(metrics).reset_index(names="who"), max_rows),
        H.figure_html(F.base64_png(skill), f"{namespace} skill per block"),
        "<h3>Out-of-sample diagnostics</h3>",
        H.figure_html(F.base64_png(diagnostics), f"{namespace} diagnostics"),
        "<h3>Feature importance (frozen model)</h3>",
        H.figure_html(F.base64_png(importance), f"{namespace} importance"),
    ]
    return diagnostics, skill, importance, _section(H.anchor(namespace), f"Model {namespace}",
                                                    "".join(body))


def model_comparison(params: dict, *metrics_of_models: dict):
    """The model comparison: headline table and skill-with-CI plot of every model (each metrics
    record carries its model's name)."""
    metrics = {m["name"]: m for m in metrics_of_models}
    table = T.comparison_table(metrics)
    fig = F.model_comparison_figure(table)
    n_edge = int((table["status"] == "edge").sum())
    body = (f'<p>{n_edge} of {len(table)} models show an out-of-sample edge over their primary '
            'baseline (bootstrap CI lower bound above 0 and positive skill on the final test '
            'block). The others are labelled <span class="badge no_edge">NO EDGE</span> and served '
            'as their baseline.</p>'
            + H.table_html(table, params.get("max_table_rows", 200),
                           "no model metrics found (no engine has landed)")
            + H.figure_html(F.to_base64_png(fig, params.get("figure_dpi", 72)), "model comparison"))
    return fig, table, _section("comparison", "Model comparison", body)


def volatility_report(market_daily: pd.DataFrame, params: dict,
                      seller_signals: pd.DataFrame | None = None):
    """Volatility forecast vs realised over the seller's signal history."""
    fig = F.volatility_figure(market_daily, seller_signals, params.get("volatility_horizon", 21))
    body = ('<p class="note">Realised vol is computed after the fact over t+1..t+21 '
            '(labels.forward_realised_vol); the forecast was issued at t. Rows before the first '
            'walk-forward test fold are baseline-served.</p>'
            + H.figure_html(F.to_base64_png(fig, params.get("figure_dpi", 72)),
                            "volatility forecast vs realised"))
    return fig, _section("volatility", "Volatility forecast vs realised", body)


def safe_range_report(market_daily: pd.DataFrame, params: dict,
                      seller_signals: pd.DataFrame | None = None):
    """Safe-range backtest: realised breach rate of the issued ranges vs the target, per tenor."""
    cfg = params.get("safe_range", {})
    target = cfg.get("target_breach_probability", 0.10)
    fig, table = F.safe_range_figure(market_daily, seller_signals, target,
                                     cfg.get("tenors", [5, 21]),
                                     cfg.get("rolling_window", 126))
    body = ('<p class="note">A breach: any daily high above the upper or low below the lower level '
            f'within the tenor after the issue date. Target breach probability {target:.0%}.</p>'
            + H.table_html(table, empty="no safe ranges")
            + H.figure_html(F.to_base64_png(fig, params.get("figure_dpi", 72)),
                            "safe-range backtest"))
    return fig, table, _section("safe-range", "Safe-range backtest", body)


def track_record_report(params: dict, scorecard: dict | None = None) -> dict:
    """The live track record (issue 15): scorecard tables and rolling figures;
    a note before the first scorecard."""
    from aegismatrix.reporting import track_record as TR

    png = (F.to_base64_png(TR.track_record_figure(scorecard), params.get("figure_dpi", 72))
           if scorecard else None)
    return _section("track-record", "Track record (served signals vs what happened)",
                    TR.track_record_html(scorecard, png))


def strategy_backtest_report(params: dict, trades: pd.DataFrame | None = None,
                             summary: dict | None = None):
    """Seller strategy backtest: summary next to the VIX-implied rule, equity curve, drawdown, worst
    weeks."""
    fig = B.backtest_figure(trades)
    body = B.backtest_section_html(summary, F.to_base64_png(fig, params.get("figure_dpi", 72)),
                                   params.get("max_table_rows", 200))
    return fig, _section("strategy-backtest", "Seller strategy backtest (weekly expiries)", body)


def signal_history_report(market_daily: pd.DataFrame, params: dict,
                          direction_signals: pd.DataFrame | None = None,
                          seller_signals: pd.DataFrame | None = None,
                          buyer_signals: pd.DataFrame | None = None):
    """Signal history charts of every engine in the run (an engine left out passes None)."""
    given = {"direction_signals": direction_signals, "seller_signals": seller_signals,
             "buyer_signals": buyer_signals}
    signals = {name: frame for name, frame in given.items() if frame is not None}
    fig = F.signal_history_figure(market_daily, signals, params.get("signal_history_days", 504))
    missing = [name for name in ("direction_signals", "seller_signals", "buyer_signals")
               if name not in signals]
    note = (f'<p class="note">Not available in this run: {H.esc(", ".join(missing))}.</p>'
            if missing else "")
    body = note + H.figure_html(F.to_base64_png(fig, params.get("figure_dpi", 72)),
                                "signal history")
    return fig, _section("signals", "Signal history", body)


def data_report(data_provenance: dict, data_quality_report: pd.DataFrame, params: dict) -> dict:
    """Data provenance and the data-quality findings of ingestion."""
    body = (f'<p>Overall source: <strong>{H.esc(data_provenance.get("source"))}</strong></p>'
            + H.table_html(T.provenance_table(data_provenance),
                           empty="no symbols in data_provenance")
            + "<h3>Data-quality findings</h3>"
            + H.table_html(data_quality_report, params.get("max_table_rows", 200),
                           "no data-quality findings"))
    return _section("data", "Data provenance and quality", body)


def collect_sections(*sections: dict) -> list[dict]:
    """Every model's report section in one list (each section carries its own heading)."""
    return list(sections)


def render_report(params: dict, data_section: dict, comparison_section: dict,
                  volatility_section: dict,
                  safe_range_section: dict, signal_section: dict,
                  backtest_section: dict | None = None,
                  track_record_section: dict | None = None,
                  model_sections: list[dict] | None = None) -> str:
    """The self-contained HTML report (sections in a fixed order, models sorted by name)."""
    ordered = [data_section, comparison_section,
               *sorted(model_sections or [], key=lambda s: s["heading"]),
               volatility_section, safe_range_section,
               *([backtest_section] if backtest_section else []),
               signal_section, *([track_record_section] if track_record_section else [])]
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return H.render_document(params.get("title", "AegisMatrix report"), generated,
                             [(s["anchor"], s["heading"], s["html"]) for s in ordered])
