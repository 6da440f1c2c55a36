"""The report's track-record section: the scorecard's tables and a figure (rolling breach rates, vol
vs realised)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from aegismatrix.reporting import html as H

NOTE = (
    "Every served signal is kept in the signal ledger; a row is scored once its horizon has passed "
    "(matured) and counted, not scored, until then. Breach: any daily high above the upper or low "
    "below the lower level within the horizon. 95% Wilson intervals; a drift flag marks a realised "
    "rate over the last matured rows outside the binomial band around its target (overlapping "
    "windows make that band too narrow: a prompt to look)."
)


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1%}"


def range_table(card: dict) -> pd.DataFrame:
    rows = []
    for key, b in (card.get("ranges") or {}).items():
        drift = b.get("drift") or {}
        rows.append(
            {
                "signal / horizon": key,
                "matured": b["n_matured"],
                "pending": b["n_pending"],
                "breach rate": _pct(b["breach_rate"]),
                "95% interval": "-"
                if not b["breach_rate_ci95"]
                else " - ".join(map(_pct, b["breach_rate_ci95"])),
                "target": _pct(b.get("target")),
                "mean served P(breach)": _pct(b.get("mean_breach_probability")),
                "expired beyond": _pct(b.get("expire_beyond_rate")),
                "drift": "DRIFT" if drift.get("drifting") else ("in band" if drift else "too few rows"),
            }
        )
    return pd.DataFrame(rows)


def scores_table(card: dict) -> pd.DataFrame:
    """Vol, direction and event scores next to their naive baselines on the same matured rows."""
    vol, rows = card.get("volatility") or {}, []
    if vol.get("n_matured"):
        rows.append(
            {
                "signal": "vol forecast 21d",
                "n": vol["n_matured"],
                "score": f"RMSE {vol['rmse']:.4f}",
                "baseline": f"trailing vol RMSE {vol['naive_rmse']:.4f}",
                "ratio / skill": f"RMSE ratio {vol['rmse_ratio_to_naive']:.3f}, QLIKE "
                                 f"{vol['qlike']:.3f} "
                f"vs {vol['naive_qlike']:.3f}",
            }
        )
    for h, b in (card.get("direction") or {}).items():
        if b.get("n_matured"):
            rows.append(
                {
                    "signal": f"direction {h}",
                    "n": b["n_matured"],
                    "score": f"log-loss {b['log_loss']:.4f}, accuracy {b['accuracy']:.1%}",
                    "baseline": f"class prior {b['prior_log_loss']:.4f}, {b['prior_accuracy']:.1%}",
                    "ratio / skill": f"{1 - b['log_loss'] / b['prior_log_loss']:+.2%}",
                }
            )
    for name, b in (card.get("events") or {}).items():
        if b.get("n_matured"):
            rows.append(
                {
                    "signal": name,
                    "n": b["n_matured"],
                    "score": f"Brier {b['brier']:.4f}, AUC "
                    f"{'-' if b['auc'] is None else format(b['auc'], '.3f')}",
                    "baseline": f"base rate {b['event_rate']:.1%}: Brier {b['base_rate_brier']:.4f}",
                    "ratio / skill": f"{1 - b['brier'] / b['base_rate_brier']:+.2%}"
                    if b["base_rate_brier"]
                    else "-",
                }
            )
    return pd.DataFrame(rows)


def market_table(card: dict) -> pd.DataFrame:
    """Model beside market on the same matured strikes (issue 22):
    Brier of both and of the base rate."""
    rows = []
    for signal, block in (card.get("market_vs_model") or {}).items():
        for event, b in block["events"].items():
            if b.get("n"):
                rows.append({
                    "signal / event": f"{signal} / {event}",
                    "rows (expiries)": f"{b['n']} ({b['n_expiries']})",
                    "realised": _pct(b["event_rate"]),
                    "model: mean p, Brier": f"{_pct(b['model']['mean_probability'])}, "
                                            f"{b['model']['brier']:.4f}",
                    "market: mean p, Brier": f"{_pct(b['market']['mean_probability'])}, "
                                             f"{b['market']['brier']:.4f}",
                    "base-rate Brier": f"{b['base_rate_brier']:.4f}",
                })
    return pd.DataFrame(rows)


def track_record_figure(card: dict) -> Figure:
    fig = Figure(figsize=(11, 3.6))
    left, right = fig.subplots(1, 2)
    for key, b in (card.get("ranges") or {}).items():
        series = pd.DataFrame((b.get("rolling") or {}).get("63") or [])
        if len(series):
            left.plot(pd.to_datetime(series["date"]), series["value"], lw=1, label=key)
    target = next(
        (b.get("target") for b in (card.get("ranges") or {}).values() if b.get("target") is not None), None
    )
    if target is not None:
        left.axhline(target, color="k", ls="--", lw=0.8, label=f"target {target:.0%}")
    left.set_title("63-session rolling breach rate", fontsize=9)
    left.legend(fontsize=7)
    vol = pd.DataFrame((card.get("volatility") or {}).get("series") or [])
    if len(vol):
        dates = pd.to_datetime(vol["date"])
        right.plot(dates, vol["forecast"], lw=1, label="served 21d vol forecast")
        right.plot(dates, vol["realised"], lw=1, color="k", label="realised t+1..t+21")
        right.legend(fontsize=7)
    right.set_title("volatility: forecast vs realised", fontsize=9)
    fig.tight_layout()
    return fig


def _market_html(card: dict) -> str:
    """The model-beside-market table when the ledger
    holds the market's numbers (nothing otherwise)."""
    table = market_table(card)
    if table.empty:
        return ""
    note = ("Model beside market at the range strikes, on the same matured rows (rows of one "
            "expiry overlap: the expiries are the independent outcomes). The market's "
            "probabilities are risk-neutral.")
    return f'<p class="note">{H.esc(note)}</p>' + H.table_html(table, empty="")


def track_record_html(card: dict | None, png_base64: str | None) -> str:
    if not card:
        return (
            '<p class="note">No scorecard yet: run kedro run --pipeline=backfill, '
            "then --pipeline=scorecard.</p>"
        )
    head = (
        f'<p class="note">{H.esc(NOTE)}</p><p>{card["ledger_rows"]} ledger rows from '
        f'{card.get("first_as_of")} to '
        f"{card.get('last_as_of')}, scored against market data to "
        f"{card.get('market_last_date')}.</p>"
    )
    return (
        head
        + H.table_html(range_table(card), empty="no range rows")
        + H.table_html(scores_table(card), empty="nothing matured")
        + _market_html(card)
        + (H.figure_html(png_base64, "track record") if png_base64 else "")
    )
