"""Storage: the database (db), its tables and migrations, and one repository module per aggregate
(comments, labels, rules, jobs, audit). Nothing here knows about HTTP."""

from moderation.store.comments import BadCursor, NotFound, NotReviewed
from moderation.store.db import Database, SchemaOutdated, StoreUnavailable

__all__ = ["BadCursor", "Database", "NotFound", "NotReviewed", "SchemaOutdated", "StoreUnavailable"]
