"""The live track record: the signal ledger (DuckDB or PostgreSQL), its rows, and the scorecard."""

from aegismatrix.ledger.store import DEFAULT_URL, LedgerError, SignalLedger

__all__ = ["DEFAULT_URL", "LedgerError", "SignalLedger"]
