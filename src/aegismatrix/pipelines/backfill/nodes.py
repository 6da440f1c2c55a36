"""The backfill pipeline's ledger node is `ledger.serve.backfill_rows` (named inputs: the served
frames collected by `ledger.serve.collect_served_frames`, the served models' training end)."""

from __future__ import annotations

from aegismatrix.ledger.serve import backfill_rows as backfill_ledger

__all__ = ["backfill_ledger"]
