"""The ledger's database layer: plain PEP 249 (DB-API)
connections to DuckDB or PostgreSQL, chosen by URL.

One code path and one SQL text serve both databases. Statements use `?` placeholders, which DuckDB
binds as written; for psycopg (3) the shim swaps them for `%s` (the ledger's SQL has no literal `?`
or `%`). URLs are split with urllib.parse: `duckdb:///relative/file.duckdb`,
`duckdb:////absolute/file.duckdb`, `duckdb:///:memory:`;
`postgresql+psycopg://user:pass@host:port/db` or `postgresql://...` (query options such as
`?sslmode=require` pass to libpq).

`Database.begin()` opens a connection, runs one transaction (COMMIT on success, ROLLBACK on any
error) and closes the connection, so no handle keeps a DuckDB file locked between runs. Only
`duckdb:///:memory:` keeps its one connection until `close()`, since every new connection to it
would be a new, empty database.

A DuckDB file is locked by the one process that has it open and DuckDB does not wait for that lock:
a connection is retried with backoff up to `lock_timeout_s` (the `signal_ledger` catalog entry,
default 30 s), then `LedgerLockTimeout` names the file, the holder and the timeout.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

MEMORY = ":memory:"
DEFAULT_LOCK_TIMEOUT_S = 30.0
# rows per INSERT: 18 columns x 500 stays far below PostgreSQL's 65,535 bind parameters
BATCH_ROWS = 500


def dialect_of(url: str) -> str:
    """`duckdb` or `postgresql` for a ledger URL (any `+driver` suffix is accepted;
    psycopg 3 is used)."""
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    if scheme == "duckdb":
        return "duckdb"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise ValueError(f"ledger URL {safe_url(url)!r}: expected duckdb:///<file> or postgresql://...")


def duckdb_target(url: str) -> tuple[str, dict[str, str]]:
    """(database path or ':memory:', DuckDB config from the query string) of a `duckdb:///` URL."""
    parts = urlsplit(url)
    # duckdb:///x -> "x", ////x -> "/x"
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    return unquote(path) or MEMORY, dict(parse_qsl(parts.query))


def postgres_conninfo(url: str) -> str:
    """A libpq URI: only the driver tag goes;
    libpq itself decodes escapes, the port and query options."""
    return "postgresql://" + url.split("://", 1)[1]


_USERINFO_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*):([^@/\s]*)@")
_SECRET_OPTION = re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api_?key|access_key)=([^&\s'\"]+)")


def redact(text: str) -> str:
    """Text (a URL, an error message quoting one) with every password replaced by ***: `user:pw@`
    and options such as `?password=` (no secret may reach a log line)."""
    return _SECRET_OPTION.sub(r"\1=***", _USERINFO_PASSWORD.sub(r"\1:***@", text))


def safe_url(url: str) -> str:
    """The URL with its password replaced by *** (for logs)."""
    return redact(url)


class Connection:
    """One DB-API cursor inside a transaction, with the three calls the ledger makes."""

    def __init__(self, cursor, dialect: str):
        self.cursor, self.dialect = cursor, dialect

    def execute(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """Run one statement; returns its rows ([] for statements without a result)."""
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, list(params) or None)
        return self.cursor.fetchall() if self.cursor.description else []

    def insert(self, table: str, records: Sequence[dict]) -> None:
        """Insert dicts (same keys in the same order) as multi-row VALUES: DuckDB's executemany is
        ~10x slower."""
        columns = list(records[0])
        row = f"({', '.join('?' * len(columns))})"
        for start in range(0, len(records), BATCH_ROWS):
            chunk = records[start : start + BATCH_ROWS]
            self.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(chunk))}",
                [r[c] for r in chunk for c in columns],
            )

    def has_table(self, name: str) -> bool:
        found = self.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = ?",
            [name],
        )
        return bool(found[0][0])


class LedgerLockTimeout(RuntimeError):
    """Another process held the DuckDB ledger file for longer than the lock timeout."""


def connect_waiting(path: str, config: dict, timeout_s: float):
    """duckdb.connect, retried with backoff while another process holds the file's lock."""
    import duckdb

    deadline, pause, waited = time.monotonic() + timeout_s, 0.05, False
    while True:
        try:
            return duckdb.connect(path, config=config)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() + pause > deadline:
                raise LedgerLockTimeout(
                    f"ledger {path}: another process still holds its lock after {timeout_s:g} s "
                    f"(lock_timeout_s of the signal_ledger catalog entry): {error}"
                ) from None
            if not waited:
                logger.info("ledger %s is locked by another process: waiting up to %g s", path,
                            timeout_s)
                waited = True
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


class Database:
    """Connections for one ledger URL; see the module docstring for their life cycle."""

    def __init__(self, url: str, lock_timeout_s: float | None = None):
        self.url, self.dialect = url, dialect_of(url)
        self.lock_timeout_s = DEFAULT_LOCK_TIMEOUT_S if lock_timeout_s is None else float(lock_timeout_s)
        self._kept = None
        if self.dialect == "duckdb":
            path, _ = duckdb_target(url)
            if path != MEMORY:  # a DuckDB file's folder is created on first use
                Path(path).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self):
        if self.dialect == "postgresql":
            import psycopg

            # transactions are begun and ended by the SQL below, identically on both databases
            return psycopg.connect(postgres_conninfo(self.url), autocommit=True)
        import duckdb

        path, config = duckdb_target(self.url)
        if path != MEMORY:
            return connect_waiting(path, config, self.lock_timeout_s)
        if self._kept is None:
            self._kept = duckdb.connect(MEMORY, config=config)
        return self._kept

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction on a fresh connection,
        committed when the block ends, rolled back on error."""
        raw = self._connect()
        cursor = raw.cursor()  # one cursor for all: a DuckDB cursor is its own transaction context
        try:
            cursor.execute("BEGIN")
            yield Connection(cursor, self.dialect)
            cursor.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):  # a dead connection rolls back on its own
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
            if raw is not self._kept:
                raw.close()

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None
