"""CSV folder source: one `<key>.csv` per symbol with
`date,open,high,low,close[,volume][,adj_close]`.

Keys are file names inside `csv_dir` (never paths out of it; a symlink that resolves outside it is
refused, saying so). Dates must be ISO (`YYYY-MM-DD`, optionally with a time) or parse with the
explicit `data_ingestion.date_format`, which applies to files that are not all ISO: `05-01-2024`
could be 5 January or 1 May, so a numeric day/month date without a format is refused instead of
guessed.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from aegismatrix.market.errors import DataValidationError

REQUIRED = ["date", "open", "high", "low", "close"]
OPTIONAL = ["volume", "adj_close"]
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.^=-]*$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$")
# dd-mm-yyyy or mm-dd-yyyy: order unknown
_AMBIGUOUS = re.compile(r"^\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}")


def locate(csv_dir: str | Path, key: str) -> Path:
    """Path of `<key>.csv` in csv_dir or its `us/` subfolder;
    keys that would leave csv_dir are refused."""
    root = Path(csv_dir).resolve()
    if not _KEY.match(str(key)) or ".." in str(key):
        raise ValueError(f"symbol key {key!r} is not a plain file name (letters, digits, _ . ^ = "
                         f"-): refusing to read outside csv_dir {root}")
    for candidate in (root / f"{key}.csv", root / "us" / f"{key}.csv"):
        if not candidate.exists():
            continue
        target = candidate.resolve()
        if not target.is_relative_to(root):
            # refused, not followed: provenance is a path inside csv_dir,
            # and nothing is read from elsewhere
            raise FileNotFoundError(f"{candidate} is a symlink that resolves to {target}, outside "
                                    f"csv_dir {root}: copy the file into csv_dir or point "
                                    "data_ingestion.csv_dir at the folder that holds it")
        return candidate
    raise FileNotFoundError(f"no CSV for symbol '{key}': looked for {root / f'{key}.csv'} and "
                            f"{root / 'us' / f'{key}.csv'}")


def relative_origin(path: str | Path, csv_dir: str | Path) -> str:
    """`csv:<path relative to csv_dir>`: provenance never exposes the local absolute path."""
    return f"csv:{Path(path).resolve().relative_to(Path(csv_dir).resolve()).as_posix()}"


def parse_dates(text: pd.Series, where: str, date_format: str | None = None) -> pd.Series:
    """ISO dates, or `date_format` when given;
    a numeric day/month order without a format is refused.

    A file whose dates are all ISO is read as ISO even when `date_format` is set: the format is for
    the files that need it (e.g. an NSE export in dd-mm-yyyy), not for the ISO `us/*.csv` files
    beside them.
    """
    if date_format and not text.str.match(_ISO).all():
        return pd.to_datetime(text, errors="coerce", format=date_format)
    ambiguous = text[text.str.match(_AMBIGUOUS)]
    if len(ambiguous):
        raise DataValidationError(where, "date_format",
                                  f"{len(ambiguous)} dates such as {ambiguous.head(3).tolist()} "
                                  "have an ambiguous day/month order; set "
                                  "data_ingestion.date_format (e.g. "
                                  "'%d-%m-%Y') or write ISO dates (YYYY-MM-DD)")
    return pd.to_datetime(text, errors="coerce", format="mixed")


def read_symbol_csv(path: str | Path, date_format: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Parse one CSV into typed columns;
    returns the frame and notes on values that could not be parsed."""
    stat = Path(path).stat()
    frame, notes = _parse_symbol_csv(Path(path), stat.st_mtime_ns, stat.st_size, date_format)
    return frame.copy(), copy.deepcopy(notes)


# the window (index file's last date) and the read itself parse a file once a run
@lru_cache(maxsize=16)
def _parse_symbol_csv(path: Path, mtime_ns: int, size: int,
                      date_format: str | None) -> tuple[pd.DataFrame, list[dict]]:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataValidationError(str(path), "parse",
                                  f"not a readable CSV ({type(exc).__name__}: {str(exc)[:120]})") from None
    raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataValidationError(str(path), "columns",
                                  f"missing required columns {missing}; found {list(raw.columns)}")
    if raw.empty:
        raise DataValidationError(str(path), "empty", "the file has a header but no data rows")
    frame = pd.DataFrame({"date": parse_dates(raw["date"].str.strip(), str(path), date_format)})
    bad_dates = raw.loc[frame["date"].isna(), "date"].tolist()
    if bad_dates:
        raise DataValidationError(str(path), "dates",
                                  f"{len(bad_dates)} unparseable dates, e.g. {bad_dates[:3]}")
    notes = []
    for col in [c for c in REQUIRED[1:] + OPTIONAL if c in raw.columns]:
        text = raw[col].str.strip()
        frame[col] = pd.to_numeric(text.replace("", None), errors="coerce").astype("float64")
        bad = frame[col].isna() & text.ne("") & ~text.str.lower().isin(["nan", "null", "none", "na"])
        if bad.any():
            notes.append({"check": "numeric", "column": col,
                          "dates": frame.loc[bad, "date"].tolist(),
                          "values": text[bad].head(3).tolist()})
    if "volume" not in frame:
        frame["volume"] = float("nan")
    frame["date"] = (frame["date"].dt.tz_localize(None).astype("datetime64[ns]")
                     if frame["date"].dt.tz is not None else frame["date"].astype("datetime64[ns]"))
    return frame, notes
