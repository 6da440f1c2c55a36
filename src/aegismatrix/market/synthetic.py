"""Deterministic, seeded market simulator: a NIFTY-like index, an India-VIX-like series, minute
bars, universes.

The daily model is a GJR-GARCH(1,1) with Student-t shocks (volatility clustering, fat tails,
leverage), a two-state calm/stress variance regime with rare crash jumps, and an implied volatility
equal to the model's expected 21-day vol times a variance risk premium with mean-reverting,
return-correlated noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRADING_DAYS = 252
MARKET_DAILY_COLUMNS = ["date", "open", "high", "low", "close", "volume", "vix_high", "vix_low",
                        "vix_close", "vix_filled"]
INTRADAY_COLUMNS = ["timestamp", "date", "open", "high", "low", "close", "volume", "interval"]
SESSION_MINUTES = 375  # NSE cash session 09:15-15:30 IST, one bar per minute
SESSION_OPEN = pd.Timedelta(hours=9, minutes=15)

# GJR-GARCH on daily log returns; long-run daily vol ~0.85% (about 13.5% annualised).
_LONG_RUN_VAR = 0.0085**2
_ALPHA, _GAMMA, _BETA = 0.03, 0.10, 0.90
_PERSIST = _ALPHA + _GAMMA / 2 + _BETA
_OMEGA = _LONG_RUN_VAR * (1 - _PERSIST)
_T_DOF = 5.0
_STRESS_MULT, _P_ENTER_STRESS, _P_EXIT_STRESS = 3.0, 0.004, 0.04
_P_JUMP, _JUMP_MEAN, _JUMP_SD = 0.003, -0.035, 0.02
_VRP = 1.27  # implied over expected realised vol; puts VIX above realised vol on ~80% of days
_VIX_PHI, _VIX_NOISE, _VIX_RET_CORR = 0.9, 0.035, 0.6


def trading_calendar(n_days: int, end: str | pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """Return the last `n_days` weekdays ending at `end` (default:
    the last weekday up to today in IST)."""
    from aegismatrix.market.session import today_ist

    last = pd.Timestamp(end).normalize() if end is not None else today_ist()
    return pd.bdate_range(end=last, periods=n_days)


def _student_t(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance Student-t draws (fat tails)."""
    return rng.standard_t(_T_DOF, size=shape) / np.sqrt(_T_DOF / (_T_DOF - 2))


def _simulate_returns(rng: np.random.Generator, n: int, k: int, z: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate k independent GJR-GARCH paths of n days from shocks z (n,
    k); vectorised across paths."""
    stress = np.zeros((n, k), dtype=bool)
    u_regime = rng.random((n, k))
    jumps = np.where(rng.random((n, k)) < _P_JUMP, rng.normal(_JUMP_MEAN, _JUMP_SD, (n, k)), 0.0)
    h = np.empty((n + 1, k))
    h[0] = _LONG_RUN_VAR
    eps = np.empty((n, k))
    state = np.zeros(k, dtype=bool)
    for t in range(n):
        state = (np.where(state, u_regime[t] > _P_EXIT_STRESS, u_regime[t] < _P_ENTER_STRESS)
                 | (jumps[t] < -0.05))
        stress[t] = state
        mult = np.where(state, _STRESS_MULT, 1.0)
        eps[t] = np.sqrt(h[t] * mult) * z[t] + jumps[t]
        # jumps feed the variance only partly: crashes enter the stress regime instead
        shock = (eps[t] - 0.8 * jumps[t]) ** 2 / mult
        h[t + 1] = _OMEGA + (_ALPHA + _GAMMA * (eps[t] < 0)) * shock + _BETA * h[t]
    returns = eps - 0.5 * h[:-1] + 0.0004  # ~10% a year drift
    return {"returns": returns, "h_next": h[1:], "stress": stress}


def _expected_vol_21d(h_next: np.ndarray, stress: np.ndarray) -> np.ndarray:
    """Annualised expected vol over the next 21 days given the GARCH state and the (smoothed)
    regime, in vol points."""
    # option markets price a regime in gradually
    stress = pd.DataFrame(stress.astype(float)).ewm(alpha=0.3).mean().to_numpy().reshape(stress.shape)
    decay = (1 - _PERSIST**21) / (21 * (1 - _PERSIST))
    exp_var = _LONG_RUN_VAR + (h_next - _LONG_RUN_VAR) * decay
    stay = (1 - (1 - _P_EXIT_STRESS) ** 21) / (21 * _P_EXIT_STRESS)
    exp_mult = 1 + (_STRESS_MULT - 1) * stay * stress
    return 100 * np.sqrt(exp_var * exp_mult * TRADING_DAYS)


def _ar1(rng: np.random.Generator, innov: np.ndarray, phi: float) -> np.ndarray:
    """AR(1) filter applied down axis 0."""
    out = np.empty_like(innov)
    out[0] = innov[0] / np.sqrt(1 - phi**2)
    for t in range(1, len(innov)):
        out[t] = phi * out[t - 1] + innov[t]
    return out


def _ohlc_from_returns(rng: np.random.Generator, returns: np.ndarray, h: np.ndarray,
                       start: np.ndarray) -> dict[str, np.ndarray]:
    """Build OHLC bars from close-to-close log returns:
    overnight gap, then a Brownian-like day range."""
    close = start * np.exp(np.cumsum(returns, axis=0))
    prev_close = np.vstack([start[None, :], close[:-1]])
    sigma = np.sqrt(h)
    gap = np.clip(rng.normal(0.0, 0.3, returns.shape) * sigma, -0.5 * np.abs(returns) - sigma,
                  0.5 * np.abs(returns) + sigma)
    open_ = prev_close * np.exp(gap)
    up = np.abs(rng.normal(0.0, 0.55, returns.shape)) * sigma
    down = np.abs(rng.normal(0.0, 0.55, returns.shape)) * sigma
    high = np.maximum(open_, close) * np.exp(up)
    low = np.minimum(open_, close) * np.exp(-down)
    return {"open": open_, "high": high, "low": low, "close": close}


def _volume(rng: np.random.Generator, returns: np.ndarray, h: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Volume rising with volatility and absolute moves, lognormal noise."""
    activity = 1 + 0.6 * np.abs(returns) / np.sqrt(_LONG_RUN_VAR) + 0.5 * (np.sqrt(h / _LONG_RUN_VAR) - 1)
    return np.round(base * np.clip(activity, 0.3, None) * rng.lognormal(0.0, 0.25, returns.shape))


def synthetic_market_daily(years: float = 5, seed: int = 7, end: str | None = None) -> pd.DataFrame:
    """Return a deterministic NIFTY-like index with an India-VIX-like series in the `market_daily`
    contract."""
    rng = np.random.default_rng(seed)
    n = max(int(round(years * TRADING_DAYS)), 30)
    z = _student_t(rng, (n, 1))
    sim = _simulate_returns(rng, n, 1, z)
    bars = _ohlc_from_returns(rng, sim["returns"], sim["h_next"], np.array([13000.0]))
    innov = _VIX_NOISE * (-_VIX_RET_CORR * z[:, 0] + np.sqrt(1 - _VIX_RET_CORR**2) * rng.standard_normal(n))
    vix_close = (_VRP * _expected_vol_21d(sim["h_next"][:, 0], sim["stress"][:, 0])
                 * np.exp(_ar1(rng, innov, _VIX_PHI)))
    prev_vix = np.concatenate([[vix_close[0]], vix_close[:-1]])
    vix_high = np.maximum(prev_vix, vix_close) * np.exp(np.abs(rng.normal(0.0, 0.03, n)))
    vix_low = np.minimum(prev_vix, vix_close) * np.exp(-np.abs(rng.normal(0.0, 0.03, n)))
    volume = _volume(rng, sim["returns"], sim["h_next"], np.array([2.5e8]))
    frame = pd.DataFrame({
        "date": trading_calendar(n, end).as_unit("ns"),
        **{col: np.round(bars[col][:, 0], 2) for col in ("open", "high", "low", "close")},
        "volume": volume[:, 0].astype("float64"),
        "vix_high": np.round(vix_high, 2), "vix_low": np.round(vix_low, 2),
        "vix_close": np.round(vix_close, 2),
        "vix_filled": np.zeros(n, dtype=bool),
    })
    return _fix_rounding(frame)


def _fix_rounding(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep high/low enclosing open/close after rounding to 2 decimals."""
    hi = frame[["open", "high", "close"]].max(axis=1)
    lo = frame[["open", "low", "close"]].min(axis=1)
    return frame.assign(high=hi, low=lo)


def _u_shape(n: int = SESSION_MINUTES) -> np.ndarray:
    """Relative per-minute volatility over the session: high at the open, low at midday, rising into
    the close."""
    x = (np.arange(n) + 0.5) / n
    w = 0.55 + 2.2 * np.exp(-x / 0.05) + 0.8 * np.exp(-(1 - x) / 0.08)
    return w / np.sqrt(np.mean(w**2))


def _stretch(path: np.ndarray, lo_tgt: np.ndarray, hi_tgt: np.ndarray) -> np.ndarray:
    """Monotonically rescale each row's excursions beyond
    its endpoints so its max/min hit the targets."""
    ends_hi = np.maximum(path[:, :1], path[:, -1:])
    ends_lo = np.minimum(path[:, :1], path[:, -1:])
    p_max, p_min = path.max(axis=1, keepdims=True), path.min(axis=1, keepdims=True)
    up_scale = np.where(p_max > ends_hi,
                        (hi_tgt - ends_hi) / np.where(p_max > ends_hi, p_max - ends_hi, 1), 0)
    dn_scale = np.where(p_min < ends_lo,
                        (ends_lo - lo_tgt) / np.where(p_min < ends_lo, ends_lo - p_min, 1), 0)
    out = np.where(path > ends_hi, ends_hi + (path - ends_hi) * up_scale, path)
    return np.where(path < ends_lo, ends_lo - (ends_lo - path) * dn_scale, out)


def synthetic_intraday(daily: pd.DataFrame, sessions: int = 5, seed: int = 7) -> pd.DataFrame:
    """Return 1-minute bars for the last `sessions` days of `daily`, aggregating exactly to their
    daily OHLC."""
    days = daily.tail(sessions).reset_index(drop=True)
    s, m = len(days), SESSION_MINUTES
    if s == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in INTRADAY_COLUMNS})
    rng = np.random.default_rng(seed + 1)
    lo, hi = np.log(days["low"].to_numpy(float))[:, None], np.log(days["high"].to_numpy(float))[:, None]
    lo_, lc = np.log(days["open"].to_numpy(float))[:, None], np.log(days["close"].to_numpy(float))[:, None]
    steps = rng.standard_normal((s, m)) * _u_shape(m)[None, :]
    walk = np.concatenate([np.zeros((s, 1)), np.cumsum(steps, axis=1)], axis=1)
    frac = np.linspace(0.0, 1.0, m + 1)[None, :]
    bridge = walk - frac * walk[:, -1:]  # pinned to zero at both ends
    scale = (hi - lo) / np.maximum(np.ptp(bridge, axis=1, keepdims=True), 1e-12)
    path = _stretch(lo_ + frac * (lc - lo_) + bridge * scale, lo, hi)
    o, c = path[:, :-1], path[:, 1:]
    wig = np.abs(rng.normal(0.0, 0.15, (s, m))) * (hi - lo) / np.sqrt(m) * _u_shape(m)[None, :]
    h = np.minimum(np.maximum(o, c) + wig, hi)
    low = np.maximum(np.minimum(o, c) - wig[:, ::-1], lo)
    rows = np.arange(s)
    # the path may touch the day's high only at an endpoint
    h[rows, np.argmax(h, axis=1)] = hi[:, 0]
    low[rows, np.argmin(low, axis=1)] = lo[:, 0]
    vol_w = _u_shape(m) ** 1.5
    daily_vol = days["volume"].fillna(2.5e8).to_numpy(float)[:, None]
    volume = np.round(daily_vol * vol_w / vol_w.sum() * rng.lognormal(0.0, 0.3, (s, m)))
    stamps = (days["date"].to_numpy("datetime64[ns]")[:, None]
              + (SESSION_OPEN + pd.to_timedelta(np.arange(m), "min")).to_numpy()[None, :])
    frame = pd.DataFrame({
        "timestamp": stamps.ravel(), "date": np.repeat(days["date"].to_numpy("datetime64[ns]"), m),
        "open": np.exp(o).ravel(), "high": np.exp(h).ravel(), "low": np.exp(low).ravel(),
        "close": np.exp(c).ravel(), "volume": volume.ravel(), "interval": "1m",
    })
    return _pin_session_ends(frame, days)


def _pin_session_ends(frame: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Set exact daily values on each session's extremes so float round-trips aggregate exactly."""
    frame = frame.copy()
    day_hi = np.repeat(days["high"].to_numpy(float), SESSION_MINUTES)
    day_lo = np.repeat(days["low"].to_numpy(float), SESSION_MINUTES)
    for col in ("open", "high", "low", "close"):
        # exp(log(x)) may overshoot by 1 ulp
        frame[col] = np.clip(frame[col].to_numpy(), day_lo, day_hi)
    first = frame.groupby("date").head(1).index
    last = frame.groupby("date").tail(1).index
    frame.loc[first, "open"] = days["open"].to_numpy(float)
    frame.loc[last, "close"] = days["close"].to_numpy(float)
    hi_idx = frame.groupby("date")["high"].idxmax().to_numpy()
    lo_idx = frame.groupby("date")["low"].idxmin().to_numpy()
    frame.loc[hi_idx, "high"] = days["high"].to_numpy(float)
    frame.loc[lo_idx, "low"] = days["low"].to_numpy(float)
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    return frame


def synthetic_universe(
    symbols: int | list[str] = 26, years: float = 5, seed: int = 7, end: str | None = None
) -> dict[str, pd.DataFrame]:
    """Return K correlated synthetic daily OHLCV frames keyed by symbol,
    simulated in one vectorised pass."""
    keys = [f"SYN{i:03d}" for i in range(symbols)] if isinstance(symbols, int) else list(symbols)
    k = len(keys)
    rng = np.random.default_rng(seed)
    n = max(int(round(years * TRADING_DAYS)), 30)
    market = _student_t(rng, (n, 1))
    beta = rng.uniform(0.4, 0.8, (1, k))  # one market factor gives realistic cross-correlation
    z = beta * market + np.sqrt(1 - beta**2) * _student_t(rng, (n, k))
    sim = _simulate_returns(rng, n, k, z)
    start = np.exp(rng.uniform(np.log(20.0), np.log(5000.0), k))
    bars = _ohlc_from_returns(rng, sim["returns"], sim["h_next"], start)
    volume = _volume(rng, sim["returns"], sim["h_next"],
                     np.exp(rng.uniform(np.log(1e6), np.log(1e8), k)))
    dates = trading_calendar(n, end).as_unit("ns")
    out = {}
    for j, key in enumerate(keys):
        o, h, lo, c = (np.round(bars[col][:, j], 4) for col in ("open", "high", "low", "close"))
        out[key] = pd.DataFrame({"date": dates, "open": o, "high": np.maximum.reduce([o, h, c]),
                                 "low": np.minimum.reduce([o, lo, c]), "close": c, "volume": volume[:, j]})
    return out
