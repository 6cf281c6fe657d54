"""The labels repository: labelled examples from moderators, sites' reports and imports, for retraining."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from moderation.schemas import Labels, LabelSource, Provenance, Report
from moderation.store.db import utcnow
from moderation.store.tables import labels as labels_table

_L = labels_table.c


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


def insert_many(connection: Connection, rows: Iterable[tuple[Mapping[str, str], Labels, bool]], actor: str) -> int:
    """Store many imported labelled examples; returns how many."""
    values = [{**_new_row(fields, LabelSource.IMPORT, actor, None, evaluation), "spam": labels.spam,
               "toxic": labels.toxic, "category": labels.category}
              for fields, labels, evaluation in rows]
    if values:
        connection.execute(labels_table.insert(), values)
    return len(values)


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
