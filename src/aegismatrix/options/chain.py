"""Option-chain analytics: validation, max pain, put-call ratios, OI walls and their change, ATM
implied vol.

A chain snapshot is one CSV per date (columns in docs/engines/seller.md and
tests/fixtures/option_chain/): required `strike, call_oi, put_oi`; optional `expiry, call_volume,
put_volume, call_iv, put_iv, underlying, date`. Blank cells and NSE's "-" are read as missing in the
optional columns only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("strike", "call_oi", "put_oi")
OPTIONAL_NUMERIC = ("call_volume", "put_volume", "call_iv", "put_iv", "underlying")
NON_NEGATIVE = ("call_oi", "put_oi", "call_volume", "put_volume", "call_iv", "put_iv")
HISTORY_COLUMNS = [
    "snapshot_date", "expiry", "source", "strikes", "underlying", "max_pain", "pcr_oi",
    "pcr_volume",
    "call_wall_strike", "call_wall_oi", "put_wall_strike", "put_wall_oi", "atm_strike", "atm_iv",
    "previous_snapshot_date", "call_wall_shift_points", "put_wall_shift_points",
    "call_wall_oi_change",
    "put_wall_oi_change",
]
MISSING_MARKERS = ("", "-", "--")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class ChainValidationError(ValueError):
    """A chain CSV failed a check; the message names the file, the column and the row
    (1-based data row)."""

    def __init__(self, source: str, column: str | None, row: int | None, detail: str) -> None:
        self.source, self.column, self.row = source, column, row
        where = "".join([f", column '{column}'" if column else "",
                         f", row {row}" if row is not None else ""])
        super().__init__(f"option chain {source}{where}: {detail}")


def _numeric(raw: pd.Series, source: str, column: str, required: bool) -> pd.Series:
    """Parse a column to float; a required blank or any non-numeric text fails with its first row.
    """
    text = raw.astype("string").str.strip()
    blank = text.isna() | text.isin(MISSING_MARKERS)
    values = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = (values.isna() & ~blank) | (blank if required else pd.Series(False, index=raw.index))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        shown = "empty" if blank.iloc[row] else f"'{raw.iloc[row]}' is not a number"
        raise ChainValidationError(source, column, row + 1, f"value {shown}")
    return values.astype(float)


def _first_bad(source: str, column: str, mask: pd.Series, detail: str) -> None:
    if mask.any():
        raise ChainValidationError(source, column, int(np.flatnonzero(mask.to_numpy())[0]) + 1,
                                   detail)


def snapshot_date_of(source: str, frame: pd.DataFrame) -> pd.Timestamp:
    """The chain's date: its `date` column (one value) or a YYYY-MM-DD in the file name."""
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], errors="coerce")
        _first_bad(source, "date", dates.isna(),
                   f"value '{frame['date'].iloc[int(dates.isna().argmax())]}' is not a date")
        _first_bad(source, "date", dates != dates.iloc[0], "a chain snapshot must carry one date")
        return pd.Timestamp(dates.iloc[0]).normalize()
    found = _DATE_IN_NAME.search(Path(source).name)
    if not found:
        raise ChainValidationError(source, None, None,
                                   "no `date` column and no YYYY-MM-DD in the file name")
    return pd.Timestamp(found.group(1))


def validate_chain(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """A clean chain (float columns, parsed expiry, date) or ChainValidationError naming file,
    column and row."""
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise ChainValidationError(source, missing[0], None,
                                   f"required column missing (has {list(raw.columns)}; needs "
                                   f"{list(REQUIRED_COLUMNS)})")
    if raw.empty:
        raise ChainValidationError(source, None, None, "no rows")
    out = pd.DataFrame(index=raw.index)
    for column in REQUIRED_COLUMNS + tuple(c for c in OPTIONAL_NUMERIC if c in raw.columns):
        out[column] = _numeric(raw[column], source, column, required=column in REQUIRED_COLUMNS)
    _first_bad(source, "strike", out["strike"] <= 0, "strike must be positive")
    for column in (c for c in NON_NEGATIVE if c in out.columns):
        _first_bad(source, column, out[column] < 0, "must not be negative")
    if "expiry" in raw.columns:
        expiry = pd.to_datetime(raw["expiry"], errors="coerce", format="mixed", dayfirst=False)
        _first_bad(source, "expiry", expiry.isna(),
                   "expiry is empty or not a date (use YYYY-MM-DD)")
        out["expiry"] = expiry.dt.normalize()
    else:
        out["expiry"] = pd.NaT
    _first_bad(source, "strike", out.duplicated(["expiry", "strike"]),
               "the same (expiry, strike) appears twice")
    out["snapshot_date"] = snapshot_date_of(source, raw)
    return out.reset_index(drop=True)


def max_pain_strike(chain: pd.DataFrame) -> float:
    """The expiry price (among the strikes) at which option holders' total intrinsic value is
    smallest."""
    strikes = chain["strike"].to_numpy(dtype=float)
    calls, puts = chain["call_oi"].to_numpy(dtype=float), chain["put_oi"].to_numpy(dtype=float)
    settle = strikes[:, None]
    pain = (calls * np.maximum(settle - strikes, 0.0)
            + puts * np.maximum(strikes - settle, 0.0)).sum(axis=1)
    return float(strikes[int(np.argmin(pain))])


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _atm(chain: pd.DataFrame) -> tuple[float | None, float | None]:
    """ATM strike (nearest the underlying) and the mean of its call and put IV (percent), where the
    file has them."""
    if "underlying" not in chain.columns or chain["underlying"].isna().all():
        return None, None
    spot = float(chain["underlying"].dropna().iloc[0])
    row = chain.iloc[int((chain["strike"] - spot).abs().argmin())]
    ivs = [row[c] for c in ("call_iv", "put_iv")
           if c in chain.columns and pd.notna(row[c]) and row[c] > 0]
    return float(row["strike"]), (float(np.mean(ivs)) if ivs else None)


def expiry_analytics(chain: pd.DataFrame) -> dict:
    """Max pain, PCR by OI and by volume, call/put OI walls and ATM IV of one expiry of one
    snapshot."""
    calls, puts = chain.loc[chain["call_oi"].idxmax()], chain.loc[chain["put_oi"].idxmax()]
    has_volume = {"call_volume", "put_volume"} <= set(chain.columns)
    atm_strike, atm_iv = _atm(chain)
    underlying = (chain["underlying"].dropna() if "underlying" in chain.columns
                  else pd.Series(dtype=float))
    return {
        "strikes": int(len(chain)),
        "underlying": float(underlying.iloc[0]) if len(underlying) else None,
        "max_pain": max_pain_strike(chain),
        "pcr_oi": _ratio(chain["put_oi"].sum(), chain["call_oi"].sum()),
        "pcr_volume": (_ratio(chain["put_volume"].sum(), chain["call_volume"].sum())
                       if has_volume else None),
        "call_wall_strike": float(calls["strike"]), "call_wall_oi": float(calls["call_oi"]),
        "put_wall_strike": float(puts["strike"]), "put_wall_oi": float(puts["put_oi"]),
        "atm_strike": atm_strike, "atm_iv": atm_iv,
    }


def _with_wall_changes(history: pd.DataFrame) -> pd.DataFrame:
    """Per expiry, each snapshot's walls against the previous snapshot of the same expiry."""
    history = history.sort_values(["snapshot_date", "expiry"]).reset_index(drop=True)
    key = history["expiry"].astype("string").fillna("unknown")
    walls = ["snapshot_date", "call_wall_strike", "put_wall_strike", "call_wall_oi", "put_wall_oi"]
    previous = history.groupby(key, sort=False)[walls].shift(1)
    history["previous_snapshot_date"] = previous["snapshot_date"]
    for side in ("call", "put"):
        history[f"{side}_wall_shift_points"] = (history[f"{side}_wall_strike"]
                                                - previous[f"{side}_wall_strike"])
        history[f"{side}_wall_oi_change"] = history[f"{side}_wall_oi"] - previous[f"{side}_wall_oi"]
    return history


def chain_history(chains: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (snapshot date, expiry) over every chain file, with wall changes from the
    previous snapshot."""
    rows, seen = [], {}
    for source in sorted(chains):
        chain = validate_chain(chains[source], source)
        date = chain["snapshot_date"].iloc[0]
        if date in seen:
            raise ChainValidationError(source, "date", None,
                                       f"snapshot {date.date()} already comes from {seen[date]}; "
                                       "keep one file per date")
        seen[date] = source
        for expiry, part in chain.groupby("expiry", dropna=False, sort=True):
            rows.append({"snapshot_date": date, "expiry": expiry, "source": source,
                         **expiry_analytics(part)})
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in HISTORY_COLUMNS})
    return _with_wall_changes(pd.DataFrame(rows))[HISTORY_COLUMNS]


def _clean(value):
    """JSON-friendly scalars: NaN/NaT -> None, timestamps -> ISO dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.item() if hasattr(value, "item") else value


def _field_reasons(row: pd.Series) -> dict[str, str]:
    """Why an optional field of one expiry is null."""
    reasons = {}
    if row["pcr_volume"] is None or pd.isna(row["pcr_volume"]):
        reasons["pcr_volume"] = "no call_volume/put_volume columns or zero call volume"
    if pd.isna(row["atm_iv"]):
        reasons["atm_iv"] = ("no underlying column to locate the ATM strike"
                             if pd.isna(row["atm_strike"])
                             else "no call_iv/put_iv at the ATM strike")
    if pd.isna(row["previous_snapshot_date"]):
        reasons["wall_changes"] = "no earlier snapshot of this expiry"
    return reasons


def no_chain_block(reason: str) -> dict:
    """The block when no chain is available: every field null, with the reason."""
    return {"snapshot_date": None, "source": None, "max_pain": None, "expiry": None, "expiries": [],
            "snapshots": 0, "reason": reason}


def latest_chain_block(history: pd.DataFrame, no_chain_reason: str) -> dict:
    """The latest snapshot's analytics per expiry; max pain of the nearest expiry at the top
    (payload, signals)."""
    if history.empty:
        return no_chain_block(no_chain_reason)
    latest = history[history["snapshot_date"] == history["snapshot_date"].max()]
    expiries = [{**{k: _clean(v) for k, v in row.items() if k not in ("snapshot_date", "source")},
                 "null_reasons": _field_reasons(row)} for _, row in latest.iterrows()]
    return {"snapshot_date": _clean(latest["snapshot_date"].iloc[0]),
            "source": latest["source"].iloc[0],
            "max_pain": expiries[0]["max_pain"], "expiry": expiries[0]["expiry"],
            "expiries": expiries,
            "snapshots": int(history["snapshot_date"].nunique()), "reason": None}
