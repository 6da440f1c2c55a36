"""Errors raised by the market data layer;
messages name the file or symbol, the check and example dates."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def format_dates(dates: Iterable, limit: int = 5) -> list[str]:
    """Render up to `limit` dates as ISO strings for messages and reports."""
    out = []
    for d in list(dates)[:limit]:
        out.append(pd.Timestamp(d).strftime("%Y-%m-%d") if not pd.isna(d) else "NaT")
    return out


class DataValidationError(ValueError):
    """A validation check with action `fail` found bad rows (or the input could not be parsed)."""

    def __init__(self, where: str, check: str, detail: str, example_dates: Iterable = ()) -> None:
        self.where, self.check, self.detail = where, check, detail
        self.example_dates = format_dates(example_dates)
        dates = f" (e.g. {', '.join(self.example_dates)})" if self.example_dates else ""
        super().__init__(f"{where}: check '{check}' failed: {detail}{dates}")


class SourceError(RuntimeError):
    """A source could not deliver usable data for a symbol (network, Yahoo error, empty frame)."""

    def __init__(self, source: str, symbol: str, reason: str, retryable: bool = False) -> None:
        self.source, self.symbol, self.reason, self.retryable = source, symbol, reason, retryable
        super().__init__(f"{source} could not deliver {symbol}: {reason}")
