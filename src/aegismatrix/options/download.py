"""NSE's daily F&O bhavcopy (UDiFF, published since July 2024) from its public archive into an
options folder.

`python -m aegismatrix.options.download --start 2024-07-08 [--end 2024-07-31] --dir
data/01_raw/nse_options`

One zip per NSE session (market/calendar.py), named as NSE names it, written atomically; a file
already in the folder is not fetched again. Only the archive's daily files are read (never the
option-chain web pages). Every date's result is reported: `saved`, `present`, `not_published` (HTTP
404: a holiday NSE's calendar did not know, or not yet out), `refused` (the body is not a zip
holding a UDiFF bhavcopy) or `failed` (network, HTTP error). Point `data_ingestion.options_dir` at
the folder; ingestion keeps the NIFTY rows.
"""

from __future__ import annotations

import argparse
import io
import json
import time
import zipfile
from pathlib import Path

import pandas as pd

from aegismatrix.options.nse_files import format_of
from aegismatrix.releases.manifest import write_bytes_atomic

ARCHIVE_URL = "https://nsearchives.nseindia.com/content/fo/{name}"
FILE_NAME = "BhavCopy_NSE_FO_0_0_0_{day:%Y%m%d}_F_0000.csv.zip"
UDIFF_FROM = pd.Timestamp("2024-07-08")  # the first UDiFF F&O bhavcopy in NSE's archive
HEADERS = {"User-Agent": "Mozilla/5.0 (aegismatrix bhavcopy download)", "Accept": "*/*"}


def _is_udiff_zip(body: bytes) -> bool:
    """True when the body is a zip whose first CSV has the UDiFF bhavcopy header."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            head = archive.read(names[0])[:4096].decode("utf-8", errors="replace") if names else ""
    except zipfile.BadZipFile:
        return False
    return format_of(head.splitlines()[0] if head else "") == "udiff_bhavcopy"


def fetch_day(day: pd.Timestamp, folder: Path, session, timeout: float = 20.0) -> dict:
    """One session's bhavcopy into `folder` (the result says what happened and why)."""
    name = FILE_NAME.format(day=day)
    target = folder / name
    result = {"date": day.strftime("%Y-%m-%d"), "file": str(target)}
    if target.exists():
        return {**result, "status": "present"}
    try:
        response = session.get(ARCHIVE_URL.format(name=name), headers=HEADERS, timeout=timeout)
    except OSError as error:  # requests' ConnectionError and Timeout are OSErrors
        return {**result, "status": "failed", "detail": f"{type(error).__name__}: {error}"}
    if response.status_code == 404:
        return {**result, "status": "not_published", "detail": "HTTP 404"}
    if response.status_code != 200:
        return {**result, "status": "failed", "detail": f"HTTP {response.status_code}"}
    if not _is_udiff_zip(response.content):
        return {**result, "status": "refused", "detail": "not a zip holding a UDiFF F&O bhavcopy"}
    write_bytes_atomic(target, response.content)
    return {**result, "status": "saved", "bytes": len(response.content)}


def download_bhavcopies(start, end, folder, session=None, pause_seconds: float = 1.0) -> list[dict]:
    """Every NSE session in [start, end] (from 2024-07-08) into `folder`, one request a session,
    paused between requests (NSE's archive throttles bursts)."""
    from aegismatrix.market.calendar import nse_trading_days

    if session is None:
        import requests

        session = requests.Session()
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    first = max(pd.Timestamp(start), UDIFF_FROM)
    results = []
    for day in nse_trading_days(first, pd.Timestamp(end), include_special_sessions=False):
        results.append(fetch_day(pd.Timestamp(day), target, session))
        if results[-1]["status"] not in ("present",) and pause_seconds:
            time.sleep(pause_seconds)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line: download, print one JSON line per session; exit 1 when any session failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", default=None, help="default: today in Asia/Kolkata (NSE's date)")
    parser.add_argument("--dir", default="data/01_raw/nse_options")
    args = parser.parse_args(argv)
    from aegismatrix.market.session import IST, now_utc

    end = args.end or now_utc().tz_convert(IST).strftime("%Y-%m-%d")
    results = download_bhavcopies(args.start, end, args.dir)
    for row in results:
        print(json.dumps(row))
    return 1 if any(r["status"] == "failed" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
