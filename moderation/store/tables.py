"""The tables, as the newest migration leaves them (SQLAlchemy Core).

This is what the queries are written against and what `moderation db revision --autogenerate` compares with the
database. Changing a table here means writing a migration in moderation/store/migrations/versions.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

metadata = MetaData()

comments = Table(
    "comments", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("email", String(320), nullable=False),
    Column("comment", Text, nullable=False),
    Column("url", String(2048), nullable=False, default=""),
    Column("article_url", String(2048), nullable=False, default=""),
    Column("article_id", String(200), nullable=False, default="", index=True),
    Column("parent_id", String(200), nullable=False, default=""),
    Column("ip", String(45), nullable=False, default=""),
    Column("user_agent", String(1000), nullable=False, default=""),
    Column("referrer", String(2048), nullable=False, default=""),
    Column("spam_score", Float, nullable=False),
    Column("toxicity_score", Float, nullable=False),
    # A hash of the normalised words, for the duplicate rule and for finding a comment a report is about.
    Column("text_hash", String(64), nullable=False, default="", index=True),
    # How close the scores are to a coin toss: 1 is maximally uncertain. The queue sorts on it.
    Column("uncertainty", Float, nullable=False, default=0.0),
    # Which labels drove a hold or reject (or a moderator confirmed): the queue filters on them, and the
    # near-duplicate rule compares new comments with recent spam.
    Column("flagged_spam", Boolean, nullable=False, default=False, server_default=false()),
    Column("flagged_toxicity", Boolean, nullable=False, default=False, server_default=false()),
    Column("scores", JSON, nullable=False),
    Column("decision", String(10), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("review", JSON, nullable=True),
    # The language detected in the comment (ISO 639-1), "" when the text is too short to tell.
    Column("language", String(16), nullable=False, default="", server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The author's history is one query over these two.
    Index("ix_comments_email_created", "email", "created_at"),
    Index("ix_comments_ip_created", "ip", "created_at"),
    Index("ix_comments_status_created", "status", "created_at", "id"),
    Index("ix_comments_status_uncertainty", "status", "uncertainty", "id"),
    Index("ix_comments_spam_status_created", "flagged_spam", "status", "created_at"),
)

# One row per reason a comment was given, so that stats are a GROUP BY and never a scan of JSON.
comment_reasons = Table(
    "comment_reasons", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("comment_id", String(32), ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("action", String(10), nullable=False),
    Column("shadow", Boolean, nullable=False),
)

labels = Table(
    "labels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The stored comment a label is about, if any (a moderator's label and sites' reports may share one).
    Column("comment_id", String(32), nullable=True, index=True),
    Column("name", String(100), nullable=False, default=""),
    Column("email", String(320), nullable=False, default=""),
    Column("url", String(2048), nullable=False, default=""),
    Column("comment", Text, nullable=False),
    # None: the label says nothing about it (a "not spam" report says nothing about toxicity).
    Column("spam", Boolean, nullable=True),
    Column("toxic", Boolean, nullable=True),
    Column("category", String(20), nullable=True),
    # moderator, report or import: who vouches for it, which decides its precedence and weight in training.
    Column("provenance", String(10), nullable=False, index=True, server_default="moderator"),
    # The channel it came through: review, feedback, akismet, perspective, import.
    Column("source", String(20), nullable=False, index=True),
    # Held out of training for ever and used to judge new models (decided by a hash of the text).
    Column("evaluation", Boolean, nullable=False, default=False, index=True, server_default=false()),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The `moderation import` run an imported label came from, so that a whole import can be removed.
    Column("import_batch", String(32), nullable=True, index=True),
)

# One row per `moderation import` run.
import_batches = Table(
    "import_batches", metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(500), nullable=False),  # the file name, or the database URL without its password
    Column("format", String(20), nullable=False),
    Column("imported", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(64), nullable=False, index=True),
    Column("details", JSON, nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(10), nullable=False),
    Column("request", JSON, nullable=False),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # The queue: how often a job was claimed, when it may run next (retries back off), who holds it and when
    # that worker last said it is alive (a job whose heartbeat stops is taken back).
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("run_after", DateTime(timezone=True), nullable=True),
    Column("worker", String(100), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Index("ix_jobs_status_run_after", "status", "run_after"),
    # At most one training job queued or running, whichever replica was asked: the database decides.
    Index("ux_jobs_one_training", "kind", unique=True,
          postgresql_where=text("kind = 'train' AND status IN ('queued', 'running')"),
          sqlite_where=text("kind = 'train' AND status IN ('queued', 'running')")),
)

rule_entries = Table(
    "rule_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),
    Column("action", String(10), nullable=False),
    Column("match", String(20), nullable=False),
    Column("value", String(500), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The rule settings a moderator changed (the rest are defaults), as one JSON document.
rule_settings = Table(
    "rule_settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("values", JSON, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Keys made with `moderation keys create`; the secret itself is never stored, only its SHA-256.
api_keys = Table(
    "api_keys", metadata,
    Column("id", String(40), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", String(100), nullable=False, default=""),
    Column("secret_sha256", String(64), nullable=False, unique=True),
    # Akismet's 12-hex-character keys are short: they open the Akismet endpoints only.
    Column("akismet_only", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Fixed-window counters of the rate limits when no Redis is configured; expires_at is a unix time.
rate_counters = Table(
    "rate_counters", metadata,
    Column("key", String(300), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
