"""The labels repository: labelled examples from moderators, sites' reports and imports, for retraining."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from moderation.schemas import Labels, LabelSource, Provenance, Report
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import import_batches
from moderation.store.tables import labels as labels_table

_L = labels_table.c
_B = import_batches.c


@dataclass(frozen=True)
class StoredLabel:
    """A labelled example as training reads it; spam or toxic is None where the label says nothing about it."""

    id: int
    comment_id: str | None
    comment: str
    name: str
    email: str
    url: str
    spam: bool | None
    toxic: bool | None
    category: str | None
    provenance: Provenance
    source: LabelSource
    evaluation: bool
    created_by: str


def _new_row(fields: Mapping[str, str], source: LabelSource, actor: str, comment_id: str | None,
             evaluation: bool) -> dict:
    return {"comment_id": comment_id, "name": fields.get("name", ""), "email": fields.get("email", ""),
            "url": fields.get("url", ""), "comment": fields["comment"], "provenance": source.provenance,
            "source": source, "evaluation": evaluation, "created_by": actor, "created_at": utcnow()}


def _replace_or_insert(connection: Connection, existing: int | None, values: dict, row: dict) -> int:
    if existing is not None:
        connection.execute(labels_table.update().where(_L.id == existing).values(**values))
        return existing
    return connection.execute(labels_table.insert(), {**row, **values}).inserted_primary_key[0]


def upsert_moderator(connection: Connection, fields: Mapping[str, str], labels: Labels, source: LabelSource,
                     actor: str, evaluation: bool, comment_id: str | None = None) -> int:
    """Store a moderator's label; a stored comment keeps one, the latest. Returns its id."""
    values = {"spam": labels.spam, "toxic": labels.toxic, "category": labels.category, "source": source,
              "created_by": actor}
    existing = None
    if comment_id is not None:
        existing = connection.execute(select(_L.id).where(
            _L.comment_id == comment_id, _L.provenance == Provenance.MODERATOR)).scalar()
    return _replace_or_insert(connection, existing, values,
                              _new_row(fields, source, actor, comment_id, evaluation))


def upsert_report(connection: Connection, fields: Mapping[str, str], report: Report, source: LabelSource,
                  key_id: str, comment_id: str | None = None) -> int:
    """Store a site's report: one per key and comment (or text), so a key that repeats itself gets one vote.
    A later report from the same key replaces what it says about each label it speaks to.

    Reports are never held out for evaluation: no site key decides what the promotion gate judges on.
    """
    same = _L.comment_id == comment_id if comment_id is not None else (
        _L.comment_id.is_(None) & (_L.comment == fields["comment"]))
    existing = connection.execute(select(_L.id).where(
        same, _L.provenance == Provenance.REPORT, _L.created_by == key_id)).scalar()
    values = {"source": source}
    if report.spam is not None:
        values["spam"] = report.spam
    if report.toxic is not None:
        values.update(toxic=report.toxic, category=report.category)
    return _replace_or_insert(connection, existing, values,
                              _new_row(fields, source, key_id, comment_id, evaluation=False))


def insert_many(connection: Connection, rows: Iterable[tuple[Mapping[str, str], Labels | ImportedLabels, bool]],
                actor: str, batch: str | None = None) -> int:
    """Store many imported labelled examples, of one import batch if given; returns how many."""
    values = [{**_new_row(fields, LabelSource.IMPORT, actor, None, evaluation), "spam": labels.spam,
               "toxic": labels.toxic, "category": labels.category, "import_batch": batch}
              for fields, labels, evaluation in rows]
    if values:
        connection.execute(labels_table.insert(), values)
    return len(values)


@dataclass(frozen=True)
class ImportedLabels:
    """What an import knows about one comment: None where the site's history says nothing (a comment a site
    marked as spam says nothing about toxicity)."""

    spam: bool | None
    toxic: bool | None
    category: str | None = None


@dataclass(frozen=True)
class ImportBatch:
    """One `moderation import` run, with how many of its labels are still stored, by kind."""

    id: str
    source: str
    format: str
    imported: int
    rejected: int
    skipped: int
    created_by: str
    created_at: datetime
    labels: int = 0
    spam: int = 0
    acceptable: int = 0
    toxic: int = 0


def create_batch(connection: Connection, batch_id: str, source: str, file_format: str, actor: str) -> None:
    """Record an import run before its labels are stored; finish_batch fills in its counts."""
    connection.execute(import_batches.insert(), {"id": batch_id, "source": source[:500], "format": file_format,
                                                 "imported": 0, "rejected": 0, "skipped": 0, "created_by": actor,
                                                 "created_at": utcnow()})


def finish_batch(connection: Connection, batch_id: str, imported: int, rejected: int, skipped: int) -> None:
    """The counts of a finished import run."""
    connection.execute(import_batches.update().where(_B.id == batch_id).values(
        imported=imported, rejected=rejected, skipped=skipped))


def batches(connection: Connection) -> list[ImportBatch]:
    """Every import run, oldest first, with its labels counted by kind."""
    counts = (select(_L.import_batch, func.count().label("labels"),
                     func.sum(case((_L.spam.is_(True), 1), else_=0)).label("spam"),
                     func.sum(case((_L.spam.is_(False) & _L.toxic.is_not(True), 1), else_=0)).label("acceptable"),
                     func.sum(case((_L.toxic.is_(True), 1), else_=0)).label("toxic"))
              .where(_L.import_batch.is_not(None)).group_by(_L.import_batch).subquery())
    rows = connection.execute(
        select(import_batches, counts.c.labels, counts.c.spam, counts.c.acceptable, counts.c.toxic)
        .outerjoin(counts, counts.c.import_batch == _B.id).order_by(_B.created_at, _B.id))
    return [ImportBatch(id=r.id, source=r.source, format=r.format, imported=r.imported, rejected=r.rejected,
                        skipped=r.skipped, created_by=r.created_by, created_at=as_utc(r.created_at),
                        labels=int(r.labels or 0), spam=int(r.spam or 0), acceptable=int(r.acceptable or 0),
                        toxic=int(r.toxic or 0)) for r in rows]


def remove_batch(connection: Connection, batch_id: str) -> int | None:
    """Delete an import run and every label it stored; the number of labels removed, None if no such run."""
    if connection.execute(select(_B.id).where(_B.id == batch_id)).first() is None:
        return None
    removed = connection.execute(labels_table.delete().where(_L.import_batch == batch_id)).rowcount
    connection.execute(import_batches.delete().where(_B.id == batch_id))
    return removed


def for_comment(connection: Connection, comment_id: str) -> list[StoredLabel]:
    """Every label about one stored comment, oldest first."""
    return _labels(connection, _L.comment_id == comment_id)


def every(connection: Connection) -> list[StoredLabel]:
    """Every stored label, oldest first."""
    return _labels(connection, None)


def _labels(connection: Connection, condition) -> list[StoredLabel]:
    statement = select(_L.id, _L.comment_id, _L.comment, _L.name, _L.email, _L.url, _L.spam, _L.toxic, _L.category,
                       _L.provenance, _L.source, _L.evaluation, _L.created_by).order_by(_L.id)
    if condition is not None:
        statement = statement.where(condition)
    return [StoredLabel(id=r.id, comment_id=r.comment_id, comment=r.comment, name=r.name, email=r.email, url=r.url,
                        spam=r.spam, toxic=r.toxic, category=r.category, provenance=Provenance(r.provenance),
                        source=LabelSource(r.source), evaluation=r.evaluation, created_by=r.created_by)
            for r in connection.execute(statement)]


def delete_for_comment(connection: Connection, comment_id: str) -> int:
    """Remove the label a review gave a stored comment (its review was undone); returns how many went."""
    return connection.execute(labels_table.delete().where(_L.comment_id == comment_id,
                                                          _L.source == LabelSource.REVIEW)).rowcount


def counts_since(connection: Connection, since: datetime | None) -> dict[str, int]:
    """How many labels arrived at or after since (every label when None), by source."""
    statement = select(_L.source, func.count()).group_by(_L.source)
    if since is not None:
        statement = statement.where(_L.created_at >= since)
    return {source: count for source, count in connection.execute(statement)}
