"""Model beside market on the same strikes (issue 22): matured expiry-range rows whose ledger
`market` column holds the option market's probabilities at the range strikes, scored with the
model's on the same rows.

Events, at the row's strikes (extras `strike_lower`, `strike_upper`; outcomes.range_outcomes):
`touch` (any high above the call strike or low below the put strike in t+1..expiry; model: the row's
probability, p_touch; market: p_touch_market) and `expire_beyond` (the expiry close outside the
strikes; p_expire_beyond and p_expire_beyond_market). The market's probabilities are risk-neutral
(they include the premium sellers are paid for crash risk), the model's real-world: the gap is what
a seller trades on. Rows of one expiry overlap (several decision dates per expiry), so `n_expiries`
is the number of independent outcomes, not `n`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from aegismatrix.ledger import outcomes as O

DEFAULT_BINS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
# event -> (model probability, market probability, outcome column of outcomes.range_outcomes)
EVENTS = {
    "touch": ("p_touch", "p_touch_market", "breach"),
    "expire_beyond": ("p_expire_beyond", "p_expire_beyond_market", "expire_beyond"),
}


def _json_column(rows: pd.DataFrame, column: str, key: str) -> np.ndarray:
    """One key of a JSON text column as floats (NaN where the row or the key is null)."""
    values = rows[column].map(lambda text: json.loads(text).get(key) if isinstance(text, str) else None)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def calibration_table(p: np.ndarray, y: np.ndarray, bins: tuple[float, ...]) -> list[dict]:
    """Per probability bin holding rows: [low, high), n, mean probability, realised rate (the last
    bin includes 1)."""
    which = np.clip(np.searchsorted(np.asarray(bins), p, side="right") - 1, 0, len(bins) - 2)
    out = []
    for i in range(len(bins) - 1):
        pick = which == i
        if pick.any():
            out.append({"low": float(bins[i]), "high": float(bins[i + 1]), "n": int(pick.sum()),
                        "mean_probability": float(p[pick].mean()), "event_rate": float(y[pick].mean())})
    return out


def _forecaster(p: np.ndarray, y: np.ndarray, bins: tuple[float, ...]) -> dict:
    return {"mean_probability": float(p.mean()), "brier": float(np.mean((p - y) ** 2)),
            "calibration": calibration_table(p, y, bins)}


def _event_block(frame: pd.DataFrame, event: str, bins: tuple[float, ...]) -> dict:
    """Brier and calibration of model and market on the
    matured rows that have both and an outcome."""
    model_col, market_col, outcome = EVENTS[event]
    both = frame.dropna(subset=[model_col, market_col, outcome])
    both = both[both[model_col].between(0, 1) & both[market_col].between(0, 1)]
    block = {"n": len(both), "n_expiries": int(both["expiry"].nunique())}
    if not len(both):
        return block
    y = both[outcome].to_numpy(dtype=float)
    base = float(y.mean())
    return {**block, "event_rate": base, "base_rate_brier": float(np.mean((base - y) ** 2)),
            "model": _forecaster(both[model_col].to_numpy(dtype=float), y, bins),
            "market": _forecaster(both[market_col].to_numpy(dtype=float), y, bins)}


def _scored(group: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    """The rows with their strikes, both forecasters' probabilities,
    state and outcomes at the strikes."""
    frame = group.assign(
        lower=_json_column(group, "extra", "strike_lower"),
        upper=_json_column(group, "extra", "strike_upper"),
        p_touch=group["probability"].astype(float),
        p_expire_beyond=_json_column(group, "extra", "p_expire_beyond"),
        p_touch_market=_json_column(group, "market", "p_touch_market"),
        p_expire_beyond_market=_json_column(group, "market", "p_expire_beyond_market"),
    )
    return frame.assign(state=O.maturity(market, frame)).join(O.range_outcomes(market, frame))


def market_vs_model(rows: pd.DataFrame, market: pd.DataFrame, params: dict) -> dict:
    """Per signal with market numbers recorded: counts and, per event, Brier and calibration of
    model and market on the same matured rows (empty when the ledger holds no market numbers)."""
    if "market" not in rows or rows["market"].isna().all():
        return {}
    bins = tuple(float(b) for b in params.get("market_calibration_bins", DEFAULT_BINS))
    out = {}
    for signal in sorted(rows.loc[rows["market"].notna(), "signal"].unique()):
        scored = _scored(rows[rows["signal"] == signal], market)
        matured = scored[scored["state"] == "matured"]
        priced = matured[matured["market"].notna()]
        out[signal] = {
            "n_rows": len(scored),
            "n_with_market": int(scored["market"].notna().sum()),
            "n_matured_with_market": len(priced),
            "n_matured_without_market": int(matured["market"].isna().sum()),
            "n_pending_with_market": int(((scored["state"] == "pending") & scored["market"].notna()).sum()),
            "risk_neutral_note": "market probabilities are risk-neutral (they price crash risk); "
                                 "the model's are real-world",
            "events": {event: _event_block(priced, event, bins) for event in EVENTS},
        }
    return out
