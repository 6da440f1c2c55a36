"""Report figure and tables of the seller strategy backtest (equity curve,
drawdown, summary, worst weeks)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from aegismatrix.reporting import html as H
from aegismatrix.reporting.figures import _empty

SUMMARY_COLUMNS = ["period", "range_source", "strategy", "weeks", "traded_weeks", "win_rate", "touch_rate",
                   "expire_beyond_rate", "mean_width_points", "mean_premium_points",
                   "mean_premium_model_points", "mean_pnl_points", "mean_pnl_model_points",
                   "mean_pnl_per_lot", "total_pnl_per_lot", "max_drawdown_per_lot", "worst_week_pnl_per_lot",
                   "worst_week_expiry", "excursion_if_touched_median_points", "excursion_p99_points",
                   "excursion_max_points"]
STYLES = {("calibrated", "short_strangle"): ("#1f5f8b", "-"),
          ("calibrated", "iron_condor"): ("#1f5f8b", "--"),
          ("vix_implied", "short_strangle"): ("#c0504d", "-"),
          ("vix_implied", "iron_condor"): ("#c0504d", "--")}


def backtest_figure(trades: pd.DataFrame | None) -> Figure:
    """Equity per lot (top) and drawdown per lot (bottom) after each weekly expiry, per range source
    and strategy."""
    fig = Figure(figsize=(11, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    if trades is None or trades.empty:
        _empty(top, "no settled weekly expiry")
        return fig
    for (source, strategy), group in trades.groupby(["range_source", "strategy"], sort=True):
        color, style = STYLES.get((source, strategy), ("#555555", ":"))
        label = f"{source} {strategy.replace('_', ' ')}"
        top.plot(group["expiry"], group["equity_per_lot"], color=color, linestyle=style,
                 label=label, linewidth=1.2)
        bottom.plot(group["expiry"], group["drawdown_per_lot"], color=color, linestyle=style,
                    linewidth=1.0)
    top.axhline(0, color="#999999", linewidth=0.6)
    top.set_ylabel("cumulative P&L per lot (Rs)")
    bottom.set_ylabel("drawdown per lot (Rs)")
    traded = int((trades["premium_source"] == "traded").sum()) if "premium_source" in trades else 0
    top.set_title(f"Weekly short strangle / iron condor, held to expiry ({traded} of {len(trades)} trades "
                  "at NSE settlement prices, the rest Black-Scholes on India VIX)")
    top.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def summary_table(summary: dict | None) -> pd.DataFrame:
    """The summary rows in report order (period, range source, strategy)."""
    rows = pd.DataFrame((summary or {}).get("summary") or [])
    return rows[[c for c in SUMMARY_COLUMNS if c in rows.columns]] if len(rows) else rows


def backtest_section_html(summary: dict | None, figure_b64: str, max_rows: int) -> str:
    """Method note, summary table next to the VIX-implied rule, the figure and the worst weeks."""
    if not summary:
        return '<p class="note">No strategy backtest in this run (the seller engine did not run).</p>'
    params = summary.get("params", {})
    return (f'<p class="note">{H.esc(summary["note"])} Decision at the close of the previous '
            f'weekly expiry (at most {H.esc(params.get("entry_trading_days"))} sessions to '
            f'expiry); iron condor wings {H.esc(params.get("condor_wing_points"))} points beyond '
            'the short strikes. <em>calibrated</em>: the seller_expiry_ranges strikes; '
            '<em>vix_implied</em>: spot -+ z x VIX x sqrt(days/365) of the same touch target, '
            'snapped outward. Period <em>listed</em>: expiries from '
            f'{H.esc(params.get("weekly_listed_from"))}, when NIFTY weekly options traded; earlier '
            'weeks follow the same Thursday cycle.</p>'
            + H.table_html(summary_table(summary), max_rows, "no settled weekly expiry")
            + H.figure_html(figure_b64, "strategy backtest equity and drawdown")
            + "<h3>Worst weeks</h3>"
            + H.table_html(pd.DataFrame(summary.get("worst_weeks") or []), max_rows, "none"))
