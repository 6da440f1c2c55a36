"""Report figures: pure functions from stored frames/metrics
to matplotlib Figures (Agg, no pyplot state).

Figures are built with `matplotlib.figure.Figure` directly, so nothing leaks between calls and no
display is needed. Fixed margins instead of tight_layout: the layout pass costs as much as drawing,
and the report draws every figure twice (embedded PNG and its own dataset). Every function tolerates
missing inputs by drawing a labelled "not available" panel.
"""

from __future__ import annotations

import base64
import io

# no matplotlib.use("Agg") here: on import it would switch a notebook's pyplot (inline) to Agg;
# Figure.savefig draws through its own Agg canvas anyway
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from aegismatrix.labels import forward_realised_vol, range_breach

EDGE_COLOUR, NO_EDGE_COLOUR, BASELINE_COLOUR = "#1b7f3b", "#b03a2e", "#7f7f7f"


def png_bytes(fig: Figure, dpi: int = 72) -> bytes:
    """The figure rendered once as PNG bytes (for a PNGDataset file and the HTML alike)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def base64_png(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def to_base64_png(fig: Figure, dpi: int = 72) -> str:
    """The figure as a base64 PNG, for embedding in a self-contained HTML page."""
    return base64_png(png_bytes(fig, dpi))


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#555", wrap=True,
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _class_names(oos: pd.DataFrame) -> list[str]:
    return [c[2:] for c in oos.columns if c.startswith("p_")]


def _labelled(oos: pd.DataFrame) -> pd.DataFrame:
    return oos.dropna(subset=["label"]) if oos is not None and len(oos) else pd.DataFrame()


def _diagnostics_title(fig: Figure, name: str, metrics: dict) -> None:
    status = metrics.get("status", "?").replace("_", " ")
    fig.suptitle(f"{name}: out-of-sample diagnostics ({status})")


def classifier_diagnostics(name: str, metrics: dict, oos: pd.DataFrame) -> Figure:
    """Confusion matrix, ROC, PR curve and reliability diagram of the out-of-sample predictions."""
    fig = Figure(figsize=(11, 8.5))
    axes = fig.subplots(2, 2)
    _diagnostics_title(fig, name, metrics)
    data = _labelled(oos)
    classes = _class_names(data)
    if data.empty or not classes:
        for ax in axes.flat:
            _empty(ax, "no out-of-sample predictions")
        return fig
    y = data["label"].to_numpy(dtype=int)
    proba = data[[f"p_{c}" for c in classes]].to_numpy(dtype=float)
    k = len(classes)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (y, proba.argmax(axis=1)), 1)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    ax = axes[0, 0]
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{int(confusion[i, j])}\n{shares[i, j]:.0%}", ha="center", va="center",
                    fontsize=8, color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xticks(range(k), classes, rotation=20, fontsize=8)
    ax.set_yticks(range(k), classes, fontsize=8)
    ax.set(xlabel="predicted", ylabel="realised", title="confusion matrix (row shares)")
    primary = metrics.get("primary_baseline")
    base_cols = [f"baseline_{primary}__p_{c}" for c in classes]
    base_proba = data[base_cols].to_numpy(dtype=float) if all(c in data for c in base_cols) else None
    roc_ax, pr_ax = axes[0, 1], axes[1, 0]
    for cls in classes if k > 2 else classes[1:]:
        target = (y == classes.index(cls)).astype(int)
        if target.min() == target.max():
            continue
        # 1.4 s: only when a report is drawn
        from sklearn.metrics import auc, precision_recall_curve, roc_curve
        fpr, tpr, _ = roc_curve(target, proba[:, classes.index(cls)])
        roc_ax.plot(fpr, tpr, label=f"{cls} (AUC {auc(fpr, tpr):.2f})")
        prec, rec, _ = precision_recall_curve(target, proba[:, classes.index(cls)])
        pr_ax.plot(rec, prec, label=f"{cls} (base rate {target.mean():.2f})")
        pr_ax.axhline(target.mean(), color=BASELINE_COLOUR, lw=0.8, ls=":")
    roc_ax.plot([0, 1], [0, 1], color=BASELINE_COLOUR, ls="--", lw=0.8, label="no skill")
    roc_ax.set(title="ROC (one vs rest)", xlabel="false positive rate", ylabel="true positive rate")
    roc_ax.legend(fontsize=7, loc="lower right")
    pr_ax.set(title="precision-recall", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    pr_ax.legend(fontsize=7, loc="upper right")
    rel_ax = axes[1, 1]
    rel_ax.plot([0, 1], [0, 1], color=BASELINE_COLOUR, ls="--", lw=0.8, label="perfect calibration")
    for cls, rows in (metrics.get("reliability") or {}).items():
        if rows:
            table = pd.DataFrame(rows)
            rel_ax.plot(table["mean_predicted"], table["observed"], marker="o", ms=3, label=cls)
    if base_proba is not None:
        rel_ax.scatter(base_proba.mean(axis=0), [(y == j).mean() for j in range(k)], marker="x",
                       color=BASELINE_COLOUR, label=f"baseline {primary}", zorder=3)
    rel_ax.set(title="reliability", xlabel="mean predicted probability",
               ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1))
    rel_ax.legend(fontsize=7, loc="upper left")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.08, top=0.92, hspace=0.35, wspace=0.25)
    return fig


def regression_diagnostics(name: str, metrics: dict, oos: pd.DataFrame) -> Figure:
    """Predicted vs realised scatter, residual distribution, residuals over time, rolling error vs
    the baseline."""
    fig = Figure(figsize=(11, 8.5))
    axes = fig.subplots(2, 2)
    _diagnostics_title(fig, name, metrics)
    data = _labelled(oos)
    if data.empty or "prediction" not in data:
        for ax in axes.flat:
            _empty(ax, "no out-of-sample predictions")
        return fig
    y, pred = data["label"].to_numpy(dtype=float), data["prediction"].to_numpy(dtype=float)
    primary = metrics.get("primary_baseline")
    base_col = f"baseline_{primary}__prediction"
    base = data[base_col].to_numpy(dtype=float) if base_col in data else None
    ax = axes[0, 0]
    ax.scatter(y, pred, s=4, alpha=0.4, label="model", rasterized=True)
    if base is not None:
        ax.scatter(y, base, s=4, alpha=0.25, color=BASELINE_COLOUR, label=f"baseline {primary}",
                   rasterized=True)
    lims = [np.nanmin([y.min(), pred.min()]), np.nanmax([y.max(), pred.max()])]
    ax.plot(lims, lims, color="black", lw=0.8, ls="--")
    ax.set(title="predicted vs realised", xlabel="realised", ylabel="predicted")
    ax.legend(fontsize=7)
    resid = y - pred
    axes[0, 1].hist(resid, bins=40, alpha=0.7, label="model")
    if base is not None:
        axes[0, 1].hist(y - base, bins=40, alpha=0.4, color=BASELINE_COLOUR,
                        label=f"baseline {primary}")
    axes[0, 1].set(title="residuals (realised - predicted)")
    axes[0, 1].legend(fontsize=7)
    dates = pd.to_datetime(data["date"])
    axes[1, 0].plot(dates, resid, lw=0.6)
    axes[1, 0].axhline(0, color="black", lw=0.6)
    axes[1, 0].set(title="residuals over time")
    window = max(10, min(63, len(data) // 5))
    axes[1, 1].plot(dates, pd.Series(resid**2).rolling(window).mean().pow(0.5), label="model")
    if base is not None:
        axes[1, 1].plot(dates, pd.Series((y - base) ** 2).rolling(window).mean().pow(0.5),
                        color=BASELINE_COLOUR, label=f"baseline {primary}")
    axes[1, 1].set(title=f"rolling RMSE ({window} rows)")
    axes[1, 1].legend(fontsize=7)
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.92, hspace=0.35, wspace=0.25)
    return fig


def skill_by_block(name: str, metrics: dict) -> Figure:
    """Skill vs the primary baseline per walk-forward fold,
    the final test block and per calendar year."""
    fig = Figure(figsize=(11, 3.6))
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "folds", "per fold"), (axes[1], "per_year", "per year")):
        blocks = metrics.get(key) or {}
        if not blocks:
            _empty(ax, f"no {title} scores")
            continue
        labels = list(blocks)
        values = np.array([blocks[b]["skill"]["value"] for b in labels])
        low = np.array([blocks[b]["skill"]["ci_low"] for b in labels])
        high = np.array([blocks[b]["skill"]["ci_high"] for b in labels])
        colours = [EDGE_COLOUR if v > 0 else NO_EDGE_COLOUR for v in values]
        ax.bar(range(len(labels)), values, color=colours, alpha=0.8)
        # CI need not contain the point
        errors = [np.clip(values - low, 0, None), np.clip(high - values, 0, None)]
        ax.errorbar(range(len(labels)), values, yerr=errors, fmt="none", ecolor="black",
                    lw=0.8, capsize=2)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=7)
        ax.set_title(f"{name}: skill vs {metrics.get('primary_baseline')} "
                     f"({metrics.get('metric')}), {title}",
                     fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.88, wspace=0.15)
    return fig


def importance_figure(name: str, shap_importance: pd.DataFrame | None, top_n: int = 15) -> Figure:
    """Top features by mean |SHAP| (or the estimator's own importance) of the frozen model."""
    fig = Figure(figsize=(7, 0.3 * top_n + 1.2))
    ax = fig.subplots()
    if shap_importance is None or shap_importance.empty or "mean_abs_contribution" not in shap_importance:
        _empty(ax, "no importance table for this model")
        return fig
    top = shap_importance.sort_values("mean_abs_contribution", ascending=False).head(top_n).iloc[::-1]
    ax.barh(top["feature"], top["mean_abs_contribution"], color="#2e6f9e")
    ax.tick_params(axis="y", labelsize=7)
    ax.set(title=f"{name}: top {len(top)} features (mean |contribution|)",
           xlabel="mean |contribution|")
    fig.subplots_adjust(left=0.35, right=0.97, bottom=0.12, top=0.9)
    return fig


def model_comparison_figure(table: pd.DataFrame) -> Figure:
    """Skill vs each model's primary baseline with its bootstrap interval,
    all models, coloured by status."""
    fig = Figure(figsize=(9, 0.45 * max(len(table), 2) + 1.5))
    ax = fig.subplots()
    if table.empty:
        _empty(ax, "no model metrics found")
        return fig
    rows = table.iloc[::-1].reset_index(drop=True)
    colours = [EDGE_COLOUR if s == "edge" else NO_EDGE_COLOUR for s in rows["status"]]
    # a percentile bootstrap interval need not contain the point estimate:
    # bars are clipped at the point
    ax.errorbar(rows["skill"], range(len(rows)),
                xerr=[(rows["skill"] - rows["ci_low"]).clip(lower=0),
                                                (rows["ci_high"] - rows["skill"]).clip(lower=0)],
                fmt="none", ecolor="black", lw=0.8, capsize=3)
    ax.scatter(rows["skill"], range(len(rows)), c=colours, zorder=3)
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)),
                  [f"{m} (vs {b})" for m, b in zip(rows["model"], rows["primary_baseline"])], fontsize=8)
    ax.set(title="Out-of-sample skill vs primary baseline "
                 "(bootstrap CI)\ngreen = edge, red = no edge",
           xlabel="skill = 1 - model loss / baseline loss")
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.12, top=0.88)
    return fig


def volatility_figure(market_daily: pd.DataFrame, seller_signals: pd.DataFrame | None,
                      horizon: int = 21) -> Figure:
    """The seller's 21-day volatility forecast next to the
    realised vol of the same window and the raw VIX."""
    fig = Figure(figsize=(11, 4))
    ax = fig.subplots()
    if seller_signals is None or seller_signals.empty or "vol_forecast_21d" not in seller_signals:
        _empty(ax, "seller_signals not available: volatility forecast vs realised cannot be drawn")
        return fig
    market = market_daily.sort_values("date").reset_index(drop=True)
    realised = market[["date"]].assign(realised=forward_realised_vol(market, horizon),
                                       vix=market["vix_close"] / 100)
    frame = seller_signals[["date", "vol_forecast_21d"]].merge(realised, on="date", how="left")
    ax.plot(frame["date"], frame["vix"], color="#c9a227", lw=0.6, alpha=0.8,
            label="India VIX / 100")
    ax.plot(frame["date"], frame["realised"], color="black", lw=0.8,
            label=f"realised vol t+1..t+{horizon}")
    ax.plot(frame["date"], frame["vol_forecast_21d"], color="#2e6f9e", lw=0.8,
            label="forecast (issued at t)")
    both = frame.dropna(subset=["realised", "vol_forecast_21d"])
    if len(both):
        rmse = float(np.sqrt(np.mean((both["realised"] - both["vol_forecast_21d"]) ** 2)))
        vix_rmse = float(np.sqrt(np.mean((both["realised"] - both["vix"]) ** 2)))
        ax.set_title("21-day volatility: forecast vs realised "
                     f"(RMSE {rmse:.4f}; raw VIX {vix_rmse:.4f})")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_ylabel("annualised vol")
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9)
    return fig


def safe_range_breaches(market_daily: pd.DataFrame, seller_signals: pd.DataFrame, tenor: int) -> pd.DataFrame:
    """Realised breach (0/1, NaN while the tenor is open) of the safe range issued at each date."""
    lower, upper, proba = f"safe_lower_{tenor}d", f"safe_upper_{tenor}d", f"breach_probability_{tenor}d"
    market = market_daily.sort_values("date").reset_index(drop=True)
    signals = seller_signals.drop_duplicates("date")
    frame = market.merge(signals[["date", lower, upper, *([proba] if proba in signals else [])]],
                         on="date", how="left")
    breach = range_breach(frame, frame[lower], frame[upper], tenor).where(frame[lower].notna())
    return pd.DataFrame({"date": frame["date"], "breach": breach,
                         "breach_probability": frame.get(proba, np.nan)})


def safe_range_figure(market_daily: pd.DataFrame, seller_signals: pd.DataFrame | None,
                      target: float,
                      tenors: list[int], window: int = 126) -> tuple[Figure, pd.DataFrame]:
    """Rolling realised breach rate of the issued safe ranges vs the target, per tenor; also the
    summary table."""
    fig = Figure(figsize=(11, 4))
    ax = fig.subplots()
    summary = []
    needed = [f"safe_{side}_{t}d" for t in tenors for side in ("lower", "upper")]
    if seller_signals is None or seller_signals.empty or not set(needed) <= set(seller_signals.columns):
        _empty(ax, "seller_signals with safe ranges not available: no backtest")
        return fig, pd.DataFrame(columns=["tenor_days", "n", "breach_rate", "target",
                                          "mean_breach_probability"])
    for tenor in tenors:
        breaches = safe_range_breaches(market_daily, seller_signals, tenor).dropna(subset=["breach"])
        rolling = breaches["breach"].rolling(window, min_periods=max(20, window // 4)).mean()
        ax.plot(breaches["date"], rolling, lw=0.9,
                label=f"{tenor}d realised ({window}-day rolling)")
        summary.append({"tenor_days": tenor, "n": int(len(breaches)),
                        "breach_rate": float(breaches["breach"].mean()), "target": target,
                        "mean_breach_probability": float(np.nanmean(breaches["breach_probability"]))
                        if breaches["breach_probability"].notna().any() else float("nan")})
    ax.axhline(target, color="black", ls="--", lw=0.9, label=f"target {target:.0%}")
    ax.set(title="Safe-range backtest: realised breach rate vs target", ylabel="breach rate",
           ylim=(0, None))
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9)
    return fig, pd.DataFrame(summary)


SIGNAL_PANELS = [
    ("direction_signals", "p_up", "direction: P(up) per horizon"),
    ("seller_signals", "trap_probability", "seller: trap probability"),
    ("seller_signals", "vol_forecast_21d", "seller: 21-day vol forecast"),
    ("buyer_signals", "breakout_probability", "buyer: breakout probability"),
    ("buyer_signals", "theta_edge", "buyer: theta edge"),
]


def signal_history_figure(market_daily: pd.DataFrame, signals: dict[str, pd.DataFrame | None],
                          last_days: int) -> Figure:
    """The close with each engine's main signal over the last `last_days` days (shaded where a
    baseline served)."""
    panels = [p for p in SIGNAL_PANELS if signals.get(p[0]) is not None and p[1] in signals[p[0]]]
    fig = Figure(figsize=(11, 2.2 * (len(panels) + 1)))
    axes = np.atleast_1d(fig.subplots(len(panels) + 1, 1, sharex=True))
    market = market_daily.sort_values("date").tail(last_days)
    start = market["date"].min()
    axes[0].plot(market["date"], market["close"], color="black", lw=0.8)
    axes[0].set_title("index close", fontsize=9)
    if not panels:
        axes[0].set_title("index close (no engine signals available yet)", fontsize=9)
    for ax, (dataset, column, title) in zip(axes[1:], panels):
        frame = signals[dataset]
        frame = frame[frame["date"] >= start]
        if "horizon_days" in frame:
            for horizon, part in frame.groupby("horizon_days"):
                ax.plot(part["date"], part[column], lw=0.8, label=f"{horizon}d")
            ax.legend(fontsize=6, ncol=4)
        else:
            ax.plot(frame["date"], frame[column], lw=0.8)
        if "model_source" in frame and (frame["model_source"] == "baseline").any():
            served = frame.drop_duplicates("date")
            ax.fill_between(served["date"], 0, 1,
                            where=(served["model_source"] == "baseline").to_numpy(),
                            color=BASELINE_COLOUR, alpha=0.12, transform=ax.get_xaxis_transform(),
                            label="baseline served")
        ax.set_title(title, fontsize=9)
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95, hspace=0.4)
    return fig
