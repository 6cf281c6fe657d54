"""The database: one engine per process, connections that open and close with each unit of work.

SQLite (WAL mode) by default, PostgreSQL in production. Any database failure inside a unit of work becomes
StoreUnavailable, so that callers answer 503 instead of guessing. The schema belongs to the Alembic
migrations in moderation/store/migrations; a process refuses a database that is not at their head.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "moderation db upgrade"


class StoreUnavailable(Exception):
    """The database could not complete an operation; callers answer 503 rather than guess."""


class SchemaOutdated(RuntimeError):
    """The database is not at the schema this code needs: the migrations must run first."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones, which are UTC here)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _sqlite_file(url: str) -> Path | None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path) if path and path != ":memory:" else None


class SqliteWriteLock:
    """One writer at a time across every process and thread using one SQLite file, queued by the kernel.

    SQLite lets one connection write at a time; a connection that finds the lock taken sleeps in its busy handler
    for 1, 2, 5, 10... ms before it looks again. Under load (two gunicorn workers posting comments) those sleeps
    left the CPUs idle a fifth of the time. Waiting on an flock on a file beside the
    database instead wakes the next writer the moment the lock is released. Processes that do not take it (the
    sqlite3 shell) are still covered by the busy timeout.
    """

    def __init__(self, database: Path):
        self.path = database.with_name(database.name + ".write-lock")
        self._opened: tuple[int, int, threading.Lock] | None = None  # (pid, descriptor, lock of its threads)

    def _for_this_process(self) -> tuple[int, threading.Lock]:
        # An flock belongs to the open file, which a forked child would share with its parent: each process opens
        # its own, once.
        opened = self._opened
        if opened is None or opened[0] != os.getpid():
            with _OPENING:
                opened = self._opened
                if opened is None or opened[0] != os.getpid():
                    descriptor = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
                    opened = self._opened = (os.getpid(), descriptor, threading.Lock())
        return opened[1], opened[2]

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block."""
        descriptor, threads = self._for_this_process()
        with threads:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)


_OPENING = threading.Lock()


def _new_opening_lock_after_fork() -> None:
    # A fork while another thread held it would leave the child's copy locked for ever.
    global _OPENING
    _OPENING = threading.Lock()


os.register_at_fork(after_in_child=_new_opening_lock_after_fork)


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL mode and a busy timeout so that several workers can share it."""
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None and path.parent.is_dir() and not path.exists():
            # The database holds commenters' emails and addresses: readable by the service's user only.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """The Alembic configuration for a database URL (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


class Database:
    """The engine and the units of work every repository runs in."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        path = _sqlite_file(url) if url.startswith("sqlite") else None
        self._write_lock = SqliteWriteLock(path) if path is not None else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction that commits at the end of the block, or rolls back."""
        try:
            with self._writing(), self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"{type(error).__name__}: the database could not complete the write") from error

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
        else:
            with self._write_lock.held():
                yield

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"{type(error).__name__}: the database could not answer") from error

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def revision(self) -> str | None:
        """The migration revision the database is at (None for an empty or pre-migration database)."""
        with self.reading() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check_schema(self) -> None:
        """Raise SchemaOutdated, naming the command to run, unless the database is at the newest migration."""
        current, head = self.revision(), head_revision()
        if current != head:
            raise SchemaOutdated(
                f"the database is at schema revision {current or 'none'}, this release needs {head}: "
                f"run `{UPGRADE_COMMAND}` (with the same DATABASE_URL) before starting the service")

    def upgrade(self) -> tuple[str | None, str]:
        """Apply every pending migration; returns (revision before, revision after)."""
        from alembic import command

        before = self.revision()
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, self.revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
