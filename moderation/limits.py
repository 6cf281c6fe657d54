"""Rate limits: requests per key, comments per commenter address and email, reports per key, and failed
authentications per client address.

The `limits` library counts in fixed windows. Its counters live in Redis when REDIS_URL is set, otherwise in the
database (DatabaseStorage below), so they hold across every worker and replica either way. Addresses and emails
are counted under a keyed hash, so the counters hold no personal data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import math
import time
from collections.abc import Mapping, Sequence

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import TextClause

from moderation.rules import RateLimited
from moderation.store import Database, StoreUnavailable
from moderation.store.tables import rate_counters

# What each limit counts, and the setting (MODERATION_RATE_LIMIT_<NAME>) that sets it.
KEY, COMMENT_IP, COMMENT_EMAIL, REPORTS, AUTH_FAILURES = "key", "ip", "email", "reports", "auth_failures"
DEFAULT_LIMITS = {
    KEY: "6000/minute",
    COMMENT_IP: "10/minute;100/hour",
    COMMENT_EMAIL: "10/minute;100/hour",
    REPORTS: "60/minute;1000/day",
    AUTH_FAILURES: "30/minute",
}
_WHAT = {KEY: "requests with this key", COMMENT_IP: "comments from this address",
         COMMENT_EMAIL: "comments from this email address", REPORTS: "reports with this key",
         AUTH_FAILURES: "failed authentications from this address"}
_PURGE_EVERY = 1000


def parse_limits(value: str) -> list[RateLimitItem]:
    """Limits written as "10/minute;100/hour" ("" for none); ValueError if unreadable."""
    return parse_many(value) if value.strip() else []


@functools.cache
def _count_statement(counters: int) -> TextClause:
    """One upsert for that many counters, the same SQL on SQLite and PostgreSQL, built once per size. Plain SQL:
    SQLAlchemy compiles an upsert expression anew on every call (its cache does not take it), which cost more
    than the write itself. Both CASEs read each row as it was before the update."""
    rows = ", ".join(f"(:key{i}, :amount, :expires{i})" for i in range(counters))
    # Only numbered placeholders are formatted in; every value is bound.
    return text(f"""
        INSERT INTO rate_counters (key, count, expires_at) VALUES {rows}
        ON CONFLICT (key) DO UPDATE SET
            count = CASE WHEN rate_counters.expires_at <= :now THEN excluded.count
                         ELSE rate_counters.count + excluded.count END,
            expires_at = CASE WHEN rate_counters.expires_at <= :now THEN excluded.expires_at
                              ELSE rate_counters.expires_at END
        RETURNING key, count, expires_at""")  # noqa: S608


class DatabaseStorage(Storage):
    """The `limits` storage for deployments without Redis: one row per counter in rate_counters."""

    STORAGE_SCHEME = None

    def __init__(self, database: Database):
        super().__init__()
        self.database = database
        self._calls = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError, StoreUnavailable

    def incr_windows(self, counters: Sequence[tuple[str, int]], amount: int = 1) -> list[tuple[int, float]]:
        """Add amount to each (key, window seconds) counter (distinct keys) in one statement, starting a new window
        where the old one has expired; the counts and window ends, in order. One statement, because under SQLite
        every write transaction queues for the one writer."""
        now = time.time()
        parameters = {"amount": amount, "now": now}
        for i, (key, expiry) in enumerate(counters):
            parameters[f"key{i}"], parameters[f"expires{i}"] = key, now + expiry
        with self.database.transaction() as connection:
            # RETURNING gives the rows in no promised order.
            windows = {key: (count, ends) for key, count, ends in
                       connection.execute(_count_statement(len(counters)), parameters)}
            if next(self._calls) % _PURGE_EVERY == 0:
                connection.execute(delete(rate_counters).where(rate_counters.c.expires_at < now))
        return [windows[key] for key, _ in counters]

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add amount to the counter, starting a new window when the old one has expired."""
        return self.incr_windows([(key, expiry)], amount)[0][0]

    def _row(self, key: str):
        with self.database.reading() as connection:
            return connection.execute(select(rate_counters.c.count, rate_counters.c.expires_at)
                                      .where(rate_counters.c.key == key)).first()

    def get(self, key: str) -> int:
        """The counter's value in its current window."""
        row = self._row(key)
        return row.count if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When the current window ends (unix time)."""
        row = self._row(key)
        return row.expires_at if row and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        return self.database.ping()

    def reset(self) -> int | None:
        """Forget every counter."""
        with self.database.transaction() as connection:
            return connection.execute(delete(rate_counters)).rowcount

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self.database.transaction() as connection:
            connection.execute(delete(rate_counters).where(rate_counters.c.key == key))


class RateLimiter:
    """Applies the configured limits; a hit beyond one raises RateLimited with the seconds to wait."""

    def __init__(self, storage: Storage, limits: Mapping[str, str], salt: bytes):
        self.storage = storage
        self.limits = {name: parse_limits(limits.get(name, default)) for name, default in DEFAULT_LIMITS.items()}
        self.salt = salt

    def _identifier(self, name: str, value: str) -> str:
        if name in (COMMENT_IP, COMMENT_EMAIL, AUTH_FAILURES):
            return hmac.new(self.salt, value.lower().encode(), hashlib.sha256).hexdigest()[:32]
        return value

    def _count(self, counters: list[tuple[str, int]]) -> list[tuple[int, float | None]]:
        if isinstance(self.storage, DatabaseStorage):
            return self.storage.incr_windows(counters)
        # Redis answers each in well under a millisecond; the window's end is looked up only for a refusal.
        return [(self.storage.incr(key, expiry), None) for key, expiry in counters]

    def hit(self, *counted: tuple[str, str]) -> None:
        """Count one request against every limit of each (kind, value) pair, all at once, as the fixed-window
        strategy of `limits` counts (refused requests count too); RateLimited if one is exceeded. An empty value
        is not counted."""
        limited = [(item, item.key_for(name, self._identifier(name, value)), name)
                   for name, value in counted if value for item in self.limits[name]]
        if not limited:
            return
        windows = self._count([(key, item.get_expiry()) for item, key, _ in limited])
        for (item, key, name), (count, ends) in zip(limited, windows, strict=True):
            if count > item.amount:
                ends = ends if ends is not None else self.storage.get_expiry(key)
                raise RateLimited(max(1, math.ceil(ends - time.time())),
                                  f"Too many {_WHAT[name]}: at most {item.amount} per {_per(item)}.")

    def check_comment(self, ip: str, email: str) -> None:
        """The limits on submitting a comment: per commenter address and per email (the key counted already)."""
        self.hit((COMMENT_IP, ip), (COMMENT_EMAIL, email))


def _per(item: RateLimitItem) -> str:
    return f"{item.multiples} {item.GRANULARITY.name}s" if item.multiples > 1 else item.GRANULARITY.name


def make_limiter(database: Database, redis_url: str, limits: Mapping[str, str], salt: bytes) -> RateLimiter:
    """The limiter over Redis when redis_url is set, otherwise over the database."""
    storage = storage_from_string(redis_url) if redis_url else DatabaseStorage(database)
    return RateLimiter(storage, limits, salt)
