"""The labels repository: labelled examples from moderators, sites' reports and imports, for retraining."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from moderation.schemas import Labels, LabelSource
from moderation.store.db import utcnow
from moderation.store.tables import labels as labels_table

_L = labels_table.c


@dataclass(frozen=True)
class StoredLabel:
    """A labelled example as training reads it."""

    id: int
    comment: str
    name: str
    email: str
    url: str
    spam: bool
    toxic: bool
    category: str | None
    source: LabelSource
    evaluation: bool


def upsert(connection: Connection, fields: Mapping[str, str], labels: Labels, source: LabelSource, actor: str,
           evaluation: bool, comment_id: str | None = None) -> int:
    """Store a labelled example; for a stored comment, replace the label it already has. Returns its id."""
    values = {"spam": labels.spam, "toxic": labels.toxic, "category": labels.category, "source": source,
              "created_by": actor}
    if comment_id is not None:
        existing = connection.execute(select(_L.id).where(_L.comment_id == comment_id)).scalar()
        if existing is not None:
            connection.execute(labels_table.update().where(_L.id == existing).values(**values))
            return existing
    result = connection.execute(labels_table.insert(), {
        **values, "comment_id": comment_id, "name": fields.get("name", ""), "email": fields.get("email", ""),
        "url": fields.get("url", ""), "comment": fields["comment"], "evaluation": evaluation,
        "created_at": utcnow()})
    return result.inserted_primary_key[0]


def insert_many(connection: Connection, rows: Iterable[tuple[Mapping[str, str], Labels, bool]],
                source: LabelSource, actor: str) -> int:
    """Store many labelled examples (imports); returns how many."""
    now = utcnow()
    values = [{"name": fields.get("name", ""), "email": fields.get("email", ""), "url": fields.get("url", ""),
               "comment": fields["comment"], "spam": labels.spam, "toxic": labels.toxic, "category": labels.category,
               "source": source, "evaluation": evaluation, "created_by": actor, "created_at": now}
              for fields, labels, evaluation in rows]
    if values:
        connection.execute(labels_table.insert(), values)
    return len(values)


def every(connection: Connection) -> list[StoredLabel]:
    """Every stored label, oldest first."""
    rows = connection.execute(select(_L.id, _L.comment, _L.name, _L.email, _L.url, _L.spam, _L.toxic, _L.category,
                                     _L.source, _L.evaluation).order_by(_L.id))
    return [StoredLabel(id=r.id, comment=r.comment, name=r.name, email=r.email, url=r.url, spam=r.spam,
                        toxic=r.toxic, category=r.category, source=LabelSource(r.source), evaluation=r.evaluation)
            for r in rows]


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
