"""CSV folder source: one `<key>.csv` per symbol with `date,open,high,low,close[,volume][,adj_close]`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aegismatrix.market.errors import DataValidationError

REQUIRED = ["date", "open", "high", "low", "close"]
OPTIONAL = ["volume", "adj_close"]


def locate(csv_dir: str | Path, key: str) -> Path:
    """Path of `<key>.csv` in csv_dir or its `us/` subfolder."""
    root = Path(csv_dir)
    for candidate in (root / f"{key}.csv", root / "us" / f"{key}.csv"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no CSV for symbol '{key}': looked for {root / f'{key}.csv'} and {root / 'us' / f'{key}.csv'}")


def read_symbol_csv(path: str | Path) -> tuple[pd.DataFrame, list[dict]]:
    """Parse one CSV into typed columns; returns the frame and notes on values that could not be parsed."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataValidationError(str(path), "parse", f"not a readable CSV ({type(exc).__name__}: {str(exc)[:120]})") from None
    raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataValidationError(str(path), "columns", f"missing required columns {missing}; found {list(raw.columns)}")
    frame = pd.DataFrame({"date": pd.to_datetime(raw["date"].str.strip(), errors="coerce", format="mixed")})
    bad_dates = raw.loc[frame["date"].isna(), "date"].tolist()
    if bad_dates:
        raise DataValidationError(str(path), "dates", f"{len(bad_dates)} unparseable dates, e.g. {bad_dates[:3]}")
    notes = []
    for col in [c for c in REQUIRED[1:] + OPTIONAL if c in raw.columns]:
        text = raw[col].str.strip()
        frame[col] = pd.to_numeric(text.replace("", None), errors="coerce").astype("float64")
        bad = frame[col].isna() & text.ne("") & ~text.str.lower().isin(["nan", "null", "none", "na"])
        if bad.any():
            notes.append({"check": "numeric", "column": col, "dates": frame.loc[bad, "date"].tolist(),
                          "values": text[bad].head(3).tolist()})
    if "volume" not in frame:
        frame["volume"] = float("nan")
    frame["date"] = frame["date"].dt.tz_localize(None).astype("datetime64[ns]") if frame["date"].dt.tz is not None else frame["date"].astype("datetime64[ns]")
    return frame, notes
