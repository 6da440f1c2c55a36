"""Readers of NSE end-of-day option files in the three formats users have, into one row layout.

The format is told by each file's header, not its name.

- contract-wise download (`OPTIDX_NIFTY_<CE|PE>_<from>_TO_<to>.csv[.gz]`): one underlying, `-` where
  nothing traded, header names with stray spaces;
- legacy daily F&O bhavcopy `fo<DD><MON><YYYY>bhav.csv` (until July 2024), plain or inside a zip:
  every symbol and instrument; untraded contracts carry 0 open/high/low;
- UDiFF F&O bhavcopy `BhavCopy_NSE_FO_*.csv` (since July 2024), plain or zipped: `FinInstrmTp` IDO =
  index option; untraded contracts carry 0 open/high/low; `TtlTradgVol` counts contracts.

Open interest is in units of the underlying in all three (NSE's convention), contracts are
contracts. A file that cannot be read is skipped with a finding naming it; a row whose number cannot
be read is dropped with a finding naming its file and row (1-based data row).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

# one contract on one day, in every format: the key, its prices and counts, the underlying's close
CONTRACT_COLUMNS = [
    "date",
    "expiry",
    "strike",
    "side",
    "open",
    "high",
    "low",
    "close",
    "settle",
    "contracts",
    "oi",
    "change_oi",
    "underlying",
]
SOURCE_COLUMNS = ["source_format", "source_file", "source_row"]  # where each row was read
ROW_COLUMNS = [*CONTRACT_COLUMNS, "lot_size", "symbol", *SOURCE_COLUMNS]
NUMERIC = [c for c in CONTRACT_COLUMNS if c not in ("date", "expiry", "side")] + ["lot_size"]
FINDING_COLUMNS = ["file", "rows", "count", "check", "action", "detail"]
MISSING = ("", "-", "--")
ZERO_WHEN_MISSING = ("contracts", "oi", "change_oi")  # `-` in a count column means none

FORMATS = {
    "contract_wise": {
        "date": "Date",
        "expiry": "Expiry",
        "strike": "Strike Price",
        "side": "Option type",
        "open": "Open",
        "high": "High",
        "low": "Low",
        "close": "Close",
        "settle": "Settle Price",
        "contracts": "No. of contracts",
        "oi": "Open Int",
        "change_oi": "Change in OI",
        "underlying": "Underlying Value",
        "symbol": "Symbol",
        "_date_format": "%d-%b-%Y",
    },
    "legacy_bhavcopy": {
        "date": "TIMESTAMP",
        "expiry": "EXPIRY_DT",
        "strike": "STRIKE_PR",
        "side": "OPTION_TYP",
        "open": "OPEN",
        "high": "HIGH",
        "low": "LOW",
        "close": "CLOSE",
        "settle": "SETTLE_PR",
        "contracts": "CONTRACTS",
        "oi": "OPEN_INT",
        "change_oi": "CHG_IN_OI",
        "symbol": "SYMBOL",
        "_instrument": ("INSTRUMENT", "OPTIDX"),
        "_date_format": "%d-%b-%Y",
    },
    "udiff_bhavcopy": {
        "date": "TradDt",
        "expiry": "XpryDt",
        "strike": "StrkPric",
        "side": "OptnTp",
        "open": "OpnPric",
        "high": "HghPric",
        "low": "LwPric",
        "close": "ClsPric",
        "settle": "SttlmPric",
        "contracts": "TtlTradgVol",
        "oi": "OpnIntrst",
        "change_oi": "ChngInOpnIntrst",
        "underlying": "UndrlygPric",
        "lot_size": "NewBrdLotQty",
        "symbol": "TckrSymb",
        "_instrument": ("FinInstrmTp", "IDO"),
        "_date_format": "%Y-%m-%d",
    },
}


def finding(file: str, rows, check: str, action: str, detail: str) -> dict:
    """One validation finding: the file, up to five example rows (1-based data rows), how many,
    what."""
    rows = list(rows) if rows is not None else []
    return {
        "file": file,
        "rows": ",".join(str(int(r)) for r in rows[:5]),
        "count": len(rows) or 1,
        "check": check,
        "action": action,
        "detail": detail,
    }


SIGNATURES = {
    "udiff_bhavcopy": ("TradDt", "FinInstrmTp"),
    "legacy_bhavcopy": ("INSTRUMENT", "EXPIRY_DT"),
    "contract_wise": ("Option type", "Strike Price"),
}
SUFFIXES = (".csv", ".csv.gz", ".zip")


def format_of(header: str) -> str | None:
    """The NSE format a file's header line says (names are not trusted: users rename downloads), or
    None."""
    names = {name.strip().strip('"').lstrip("\ufeff") for name in header.split(",")}
    for fmt, needed in SIGNATURES.items():
        if all(n in names for n in needed):
            return fmt
    return None


def _texts(path: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of the CSV(s) in a file: plain, gzipped, or every `.csv` member of a zip."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            return [
                (f"{path}!{m}", archive.read(m))
                for m in archive.namelist()
                if m.lower().endswith(".csv")
            ]
    data = path.read_bytes()
    return [(str(path), gzip.decompress(data) if path.suffix.lower() == ".gz" else data)]


def _numbers(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats from text (`-` and blank -> NaN) and the positions whose text is not a number."""
    stripped = text.astype("string").str.strip().str.replace(",", "", regex=False)
    blank = stripped.isna() | stripped.isin(MISSING)
    values = pd.to_numeric(stripped.where(~blank), errors="coerce")
    return values.astype(float), np.flatnonzero((values.isna() & ~blank).to_numpy())


def _dates(text: pd.Series, date_format: str) -> tuple[pd.Series, np.ndarray]:
    parsed = pd.to_datetime(text.astype("string").str.strip(), format=date_format, errors="coerce")
    return parsed, np.flatnonzero(parsed.isna().to_numpy())


def _select(raw: pd.DataFrame, spec: dict, name: str, findings: list) -> pd.DataFrame | None:
    """The NIFTY index-option rows of one file, with its columns renamed; None (and a finding) when
    the file lacks a column or is a chain of another underlying."""
    raw.columns = [str(c).strip() for c in raw.columns]
    needed = [v for k, v in spec.items() if not k.startswith("_")]
    needed += [spec["_instrument"][0]] if "_instrument" in spec else []
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        findings.append(
            finding(
                name, None, "missing_columns", "refused", f"file skipped: no column(s) {missing}"
            )
        )
        return None
    raw = raw.assign(source_row=np.arange(1, len(raw) + 1))
    if (
        "_instrument" in spec
    ):  # bhavcopies hold every symbol and instrument: keep NIFTY index options
        column, value = spec["_instrument"]
        raw = raw[raw[column].str.strip() == value]
    symbols = raw[spec["symbol"]].str.strip()
    if "_instrument" not in spec and len(raw) and not (symbols == "NIFTY").any():
        findings.append(
            finding(
                name,
                None,
                "other_underlying",
                "refused",
                f"file skipped: a chain of {sorted(symbols.unique())[:3]}, not NIFTY",
            )
        )
        return None
    raw = raw[symbols == "NIFTY"]
    return raw.rename(columns={v: k for k, v in spec.items() if not k.startswith("_")})


def _parse(raw: pd.DataFrame, spec: dict, name: str, fmt: str, findings: list) -> pd.DataFrame:
    """Typed rows; a row with an unreadable number or date is dropped with a finding."""
    out = pd.DataFrame({"source_row": raw["source_row"].to_numpy()})
    bad = set()
    for column in ("date", "expiry"):
        out[column], rows = _dates(raw[column].reset_index(drop=True), spec["_date_format"])
        bad.update(rows.tolist())
    for column in NUMERIC:
        if column not in raw.columns:
            out[column] = np.nan
            continue
        out[column], rows = _numbers(raw[column].reset_index(drop=True))
        bad.update(rows.tolist())
    out["side"] = raw["side"].astype("string").str.strip().str.upper().to_numpy()
    bad.update(np.flatnonzero(~out["side"].isin(["CE", "PE"]).to_numpy()).tolist())
    if bad:
        rows = sorted(bad)
        findings.append(
            finding(
                name,
                out["source_row"].iloc[rows],
                "unreadable_value",
                "refused",
                "row dropped: a date, number or option type that cannot be read",
            )
        )
        out = out.drop(index=rows)
    for column in ZERO_WHEN_MISSING:
        out[column] = out[column].fillna(0.0)
    untraded = out["contracts"] <= 0
    for column in ("open", "high", "low"):  # bhavcopies write 0 where nothing traded
        out.loc[untraded & (out[column] == 0), column] = np.nan
    out["symbol"], out["source_format"], out["source_file"] = "NIFTY", fmt, name
    return out[ROW_COLUMNS]


def read_option_file(path: Path, findings: list) -> pd.DataFrame:
    """The NIFTY option rows of one NSE file (ROW_COLUMNS); empty, with findings, when it cannot be
    read."""
    parts = []
    try:
        texts = _texts(path)
    except (OSError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError) as error:
        findings.append(
            finding(str(path), None, "unreadable_file", "refused", f"file skipped: {error}")
        )
        return pd.DataFrame(columns=ROW_COLUMNS)
    for name, data in texts:
        fmt = format_of(
            data[:4096].decode("utf-8", errors="replace").splitlines()[0] if data else ""
        )
        if fmt is None:
            findings.append(
                finding(
                    name,
                    None,
                    "unknown_format",
                    "refused",
                    "file skipped: its header is none "
                    "of NSE's contract-wise, legacy bhavcopy or UDiFF bhavcopy headers",
                )
            )
            continue
        try:
            raw = pd.read_csv(
                io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            findings.append(
                finding(name, None, "unreadable_file", "refused", f"file skipped: {error}")
            )
            continue
        selected = _select(raw, FORMATS[fmt], name, findings)
        if selected is not None and len(selected):
            parts.append(_parse(selected, FORMATS[fmt], name, fmt, findings))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)


def read_options_dir(folder: str | Path, read=read_option_file) -> tuple[pd.DataFrame, list[dict]]:
    """Every NSE option file (`.csv`, `.csv.gz`, `.zip`) under `folder`, recursively, with the
    findings; `read` parses one file (options/file_cache.py's ParsedOptionFiles answers from its
    cache)."""
    root = Path(folder)
    if not root.is_dir():
        return pd.DataFrame(columns=ROW_COLUMNS), [
            finding(str(root), None, "missing_folder", "refused", "options_dir is not a folder")
        ]
    findings: list[dict] = []
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
    frames = [frame for frame in (read(p, findings) for p in files) if len(frame)]
    if not frames:
        findings.append(
            finding(
                str(root),
                None,
                "no_files",
                "flagged",
                "no NSE option file (contract-wise, fo*bhav.csv or UDiFF bhavcopy) found",
            )
        )
        return pd.DataFrame(columns=ROW_COLUMNS), findings
    return pd.concat(frames, ignore_index=True), findings
