"""Personal data: how commenters' addresses are kept, purging old rejected and spam comments, forgetting a person.

- Addresses are stored as a keyed hash (HMAC-SHA256 under the instance secret) by default: equal addresses
  still give equal hashes, so the flood rule still counts comments per address, but the database alone gives
  no address back. MODERATION_STORE_IP=plain keeps them as sent, none keeps nothing.
- purge() strips name, email, address, URL and browser from old rejected and spam comments (and from their
  labels), keeping the text, scores and labels: anonymised examples the model can still learn from.
- forget() removes one person: their comments, the personal fields of labels about them, their entries in the
  author lists, and the audit history of their comments; it records that it did so without naming them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from moderation.schemas import Status
from moderation.store import Database, StoreUnavailable
from moderation.store import audit as audit_repo
from moderation.store import jobs as jobs_repo
from moderation.store.db import utcnow
from moderation.store.tables import audit_log, comments, jobs, labels, rule_entries

log = logging.getLogger(__name__)
IP_MODES = ("hash", "plain", "none")
PURGE_JOB = "purge"
_AGE = re.compile(r"(\d{1,5})d?")
_C, _L = comments.c, labels.c


def parse_age(value: str) -> int:
    """Days from "30d" (or "30"); ValueError when it is not a whole number of days."""
    match = _AGE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an age in days such as '30d'")
    return int(match.group(1))


def _keyed(secret: str, purpose: bytes) -> bytes:
    # One key per purpose, derived from the instance secret, so a digest made for one use proves nothing in another.
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


class IpPolicy:
    """How a commenter's address is stored: hash (keyed, the default), plain or none."""

    def __init__(self, mode: str, secret: str):
        if mode not in IP_MODES:
            raise ValueError(f"unknown address storage {mode!r}: use one of {', '.join(IP_MODES)}")
        self.mode = mode
        self._key = _keyed(secret, b"moderation.ip")

    def stored(self, ip: str) -> str:
        """What is stored (and compared) for ip: a 32-hex-character HMAC, the address itself, or nothing."""
        if not ip or self.mode == "plain":
            return ip
        if self.mode == "none":
            return ""
        return hmac.new(self._key, ip.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class PurgeResult:
    """What a purge anonymised, and how many addresses it brought in line with the storage setting."""

    older_than_days: int
    comments: int
    labels: int
    addresses: int = 0


def _purgeable(cutoff):
    # Rejected comments and those flagged or labelled spam, once no longer waiting for a moderator.
    return and_(_C.created_at < cutoff, or_(_C.status == Status.REJECTED, _C.flagged_spam), _C.status != Status.HELD,
                or_(_C.name != "", _C.email != "", _C.ip != "", _C.url != "", _C.user_agent != ""))


def _stored_addresses(connection, policy: IpPolicy) -> int:
    # Addresses an earlier release (or MODERATION_STORE_IP=plain) stored as sent: a hash never holds "." or ":".
    if policy.mode == "plain":
        return 0
    rows = connection.execute(select(_C.id, _C.ip).where(_C.ip != "", or_(_C.ip.contains("."), _C.ip.contains(":"))))
    count = 0
    for comment_id, ip in rows.all():
        connection.execute(update(comments).where(_C.id == comment_id).values(ip=policy.stored(ip)))
        count += 1
    return count


def purge(database: Database, older_than_days: int, actor: str, ip_policy: IpPolicy | None = None) -> PurgeResult:
    """Remove the personal data of rejected and spam comments older than the given days, in one transaction
    with its audit event; their text, scores and labels stay as anonymised training examples. With ip_policy,
    addresses stored in the clear are also hashed (or removed) as that policy stores new ones."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    with database.transaction() as connection:
        ids = list(connection.execute(select(_C.id).where(_purgeable(cutoff))).scalars())
        changed_labels = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            connection.execute(update(comments).where(_C.id.in_(chunk)).values(
                name="", email="", ip="", url="", user_agent="", updated_at=utcnow()))
            changed_labels += connection.execute(update(labels).where(_L.comment_id.in_(chunk)).values(
                name="", email="", url="")).rowcount
        addresses = _stored_addresses(connection, ip_policy) if ip_policy is not None else 0
        result = PurgeResult(older_than_days=older_than_days, comments=len(ids), labels=changed_labels,
                             addresses=addresses)
        audit_repo.record(connection, actor, "privacy.purge", f"older-than-{older_than_days}d", asdict(result))
    return result


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting one person removed."""

    comments: int
    labels: int
    author_entries: int
    audit_events: int


def email_digest(secret: str, email: str) -> str:
    """The keyed hash that names a forgotten person in the audit log (asked again, it proves the request was
    carried out, and the log alone does not give the address back)."""
    return hmac.new(_keyed(secret, b"moderation.forget"), email.strip().lower().encode(),
                    hashlib.sha256).hexdigest()[:40]


def forget(database: Database, email: str, actor: str, secret: str) -> ForgetResult:
    """Remove everything about the person with this email (compared without case), in one transaction:
    their comments with their reasons and the audit events about them, the personal fields of every label
    about them or their comments (the labelled text stays, anonymised), author-list entries for the address
    and the audit events about those entries. Records a privacy.forget event naming them only by a keyed hash."""
    address = email.strip().lower()
    if not address:
        raise ValueError("an email address is needed")
    with database.transaction() as connection:
        ids = list(connection.execute(select(_C.id).where(func.lower(_C.email) == address)).scalars())
        labelled = or_(func.lower(_L.email) == address, _L.comment_id.in_(ids)) if ids else \
            func.lower(_L.email) == address
        label_count = connection.execute(update(labels).where(labelled).values(
            name="", email="", url="", comment_id=None)).rowcount
        entry_ids = list(connection.execute(select(rule_entries.c.id).where(
            rule_entries.c.kind == "author", rule_entries.c.match == "email",
            func.lower(rule_entries.c.value) == address)).scalars())
        # The audit events about their comments and their list entries (those name the address).
        targets = ids + [f"rule:{entry_id}" for entry_id in entry_ids]
        events = connection.execute(delete(audit_log).where(audit_log.c.target.in_(targets))).rowcount \
            if targets else 0
        # Reasons go with their comments (ON DELETE CASCADE).
        removed = connection.execute(delete(comments).where(_C.id.in_(ids))).rowcount if ids else 0
        entries = connection.execute(delete(rule_entries).where(rule_entries.c.id.in_(entry_ids))).rowcount \
            if entry_ids else 0
        result = ForgetResult(comments=removed, labels=label_count, author_entries=entries, audit_events=events)
        audit_repo.record(connection, actor, "privacy.forget", email_digest(secret, address), asdict(result))
    return result


def purge_job_id(day) -> str:
    """The id of the scheduled purge of one day: one row per day, whichever worker queues it first."""
    return f"{PURGE_JOB}-{day:%Y%m%d}"


def queue_daily_purge(database: Database, older_than_days: int) -> str | None:
    """Queue today's purge unless some process already has; returns the job id when this call queued it."""
    job_id = purge_job_id(utcnow())
    try:
        with database.transaction() as connection:
            if connection.execute(select(jobs.c.id).where(jobs.c.id == job_id)).first():
                return None
            jobs_repo.create(connection, PURGE_JOB, {"older_than_days": older_than_days}, "schedule", job_id=job_id)
    except StoreUnavailable as error:
        if isinstance(error.__cause__, IntegrityError):
            return None  # another worker queued it at the same moment
        raise
    return job_id


class PurgeSchedule:
    """A daemon thread that queues the day's purge, for the job queue to run (wake: this process's runner)."""

    def __init__(self, database: Database, older_than_days: int, wake: Callable[[], None],
                 check_seconds: float = 600.0):
        self.database = database
        self.older_than_days = older_than_days
        self.wake = wake
        self.check_seconds = check_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="purge-schedule", daemon=True)

    def start(self) -> None:
        """Start checking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop checking."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if queue_daily_purge(self.database, self.older_than_days):
                    self.wake()
            except StoreUnavailable as error:
                log.error("cannot queue the daily purge: %s", error)
            self._stop.wait(self.check_seconds)
