"""A start from a site's own history: labelled comments read from a WordPress export (WXR), WordPress's own
database, a Disqus export, or a CSV/TSV or JSON Lines file.

Every comment is validated field by field as API input is (ImportedComment); a row that fails is reported with
its place in the source and the reasons, and the rest are imported. Labels are stored in chunks, each chunk in
one transaction, under one import batch, so that a whole import can be listed and removed.

What a site's history says:
- WordPress `comment_approved`: `1` acceptable, `spam` spam; `0` (pending) and `trash` say nothing by default
  (a moderator may trash a comment for any reason), and `--pending` / `--trash` choose otherwise.
- Disqus `isSpam` spam, `isDeleted` like WordPress's trash, anything else acceptable.
- A comment a site marked as spam says nothing about its toxicity: that label stays unknown.

Tabular files: native columns comment (required), name, email, url, spam, toxic, category (spam and toxic take
1/0, true/false, yes/no or spam/ham); the YouTube Spam Collection (COMMENT_ID, AUTHOR, DATE, CONTENT, CLASS)
and OLID (id, tweet, subtask_a, tab-separated) are recognised by their headers.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, ElementTree

from model.corpus import CATEGORIES
from moderation.retraining import is_evaluation_text
from moderation.schemas import ImportedComment
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import labels as labels_repo
from moderation.store.labels import ImportedLabels
from moderation.validation import ValidationFailed, ValidationSettings, validate

FORMATS = ("wxr", "disqus", "csv", "jsonl")
CHUNK = 1000
_TRUE = {"1", "true", "yes", "spam", "off", "toxic"}
_FALSE = {"0", "false", "no", "ham", "not", "", "none", "null"}
# WordPress comment types that are readers' comments; pingbacks and trackbacks are excerpts of other pages.
_WORDPRESS_COMMENT_TYPES = {"", "comment", "review"}
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_]{1,64}")


class ImportFailed(ValueError):
    """A source that cannot be read at all."""


class Unlabelled(StrEnum):
    """What a comment whose status says nothing (pending, trashed, deleted) becomes."""

    SKIP = "skip"
    ACCEPTABLE = "acceptable"
    SPAM = "spam"
    TOXIC = "toxic"

    def labels(self) -> ImportedLabels | None:
        """The labels it stands for; None to leave the comment out."""
        return {Unlabelled.SKIP: None, Unlabelled.ACCEPTABLE: ACCEPTABLE, Unlabelled.SPAM: SPAM,
                Unlabelled.TOXIC: ImportedLabels(spam=False, toxic=True, category="other")}[self]


ACCEPTABLE = ImportedLabels(spam=False, toxic=False)
SPAM = ImportedLabels(spam=True, toxic=None)


@dataclass(frozen=True)
class SourceRow:
    """One comment as a source holds it: where it is, its raw fields and its labels (None: leave it out), or
    why it cannot be read."""

    where: str
    fields: Mapping[str, object] = field(default_factory=dict)
    labels: ImportedLabels | None = None
    error: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, and why, per field."""

    where: str
    errors: dict[str, list[str]]

    def __str__(self) -> str:
        return f"{self.where}: " + "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())


@dataclass
class ImportReport:
    """What one import did."""

    batch: str
    imported: int = 0
    skipped: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


# Tabular files (CSV, TSV, JSON Lines).

def _flag(value, column: str) -> bool:
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column}={value!r} is not a 0/1 label")


def _native(row: Mapping, where: str) -> SourceRow:
    try:
        spam, toxic = _flag(row.get("spam"), "spam"), _flag(row.get("toxic"), "toxic")
    except ValueError as error:
        return SourceRow(where, error=str(error))
    category = (row.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        return SourceRow(where, error=f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    fields = {key: row.get(key) for key in ("comment", "name", "email", "url") if row.get(key) is not None}
    return SourceRow(where, fields, ImportedLabels(spam=spam, toxic=toxic,
                                                   category=(category or "other") if toxic else None))


def _row_mapper(header: list[str]) -> Callable[[dict, str], SourceRow]:
    columns = {c.strip() for c in header}
    if {"CONTENT", "CLASS"} <= columns:
        return lambda row, where: _native({"comment": row["CONTENT"], "name": row.get("AUTHOR", ""),
                                           "spam": row["CLASS"], "toxic": "0"}, where)
    if {"tweet", "subtask_a"} <= columns:
        return lambda row, where: _native({"comment": row["tweet"], "spam": "0", "toxic": row["subtask_a"]}, where)
    if "comment" in columns:
        return _native
    raise ImportFailed(f"unrecognised columns {sorted(columns)}: need comment (and spam, toxic), "
                       "the YouTube Spam Collection's CONTENT/CLASS, or OLID's tweet/subtask_a")


def tabular_rows(path: str | Path, file_format: str) -> Iterator[SourceRow]:
    """Every row of a CSV/TSV or JSON Lines file of labelled comments."""
    name = Path(path).name
    with open(path, encoding="utf-8-sig", newline="") as handle:
        if file_format == "jsonl":
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as error:
                    yield SourceRow(f"{name}:{number}", error=f"not JSON ({error})")
                    continue
                if not isinstance(record, dict):
                    yield SourceRow(f"{name}:{number}", error="not a JSON object")
                    continue
                yield _native(record, f"{name}:{number}")
            return
        first_line = handle.readline()
        handle.seek(0)
        reader = csv.DictReader(handle, delimiter="\t" if "\t" in first_line else ",")
        mapper = _row_mapper(reader.fieldnames or [])
        for number, row in enumerate(reader, 2):
            yield mapper({k.strip(): v for k, v in row.items() if k}, f"{name}:{number}")


# WordPress: the WXR export and the database.

def _wordpress_labels(approved: str, comment_type: str, pending: Unlabelled,
                      trash: Unlabelled) -> ImportedLabels | None:
    if comment_type.strip().lower() not in _WORDPRESS_COMMENT_TYPES:
        return None
    status = approved.strip().lower()
    if status == "1":
        return ACCEPTABLE
    if status == "spam":
        return SPAM
    if status in ("trash", "post-trashed"):
        return trash.labels()
    return pending.labels()  # "0", and anything a plugin invented


def _local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _children(element) -> dict[str, str]:
    """An element's children by local name, as text."""
    return {_local(child.tag)[1]: (child.text or "") for child in element}


def wxr_rows(path: str | Path, pending: Unlabelled = Unlabelled.SKIP,
             trash: Unlabelled = Unlabelled.SKIP) -> Iterator[SourceRow]:
    """Every comment of a WordPress export (Tools → Export, any WXR version), read as a stream."""
    name = Path(path).name
    article_url = ""
    try:
        for event, element in ElementTree.iterparse(path, events=("start", "end")):
            namespace, local = _local(element.tag)
            if event == "start":
                if local == "item" and not namespace:
                    article_url = ""
                continue
            if local == "link" and not namespace:
                article_url = (element.text or "").strip()
            elif local == "comment" and namespace.startswith("http://wordpress.org/export/"):
                c = _children(element)
                where = f"{name}: comment {c.get('comment_id', '?').strip()}"
                labels = _wordpress_labels(c.get("comment_approved", ""), c.get("comment_type", ""), pending, trash)
                yield SourceRow(where, {
                    "comment": c.get("comment_content", ""), "name": c.get("comment_author", ""),
                    "email": c.get("comment_author_email", ""), "url": c.get("comment_author_url", ""),
                    "ip": c.get("comment_author_IP", ""), "article_url": article_url}, labels)
                element.clear()
            elif local == "item" and not namespace:
                element.clear()  # a post and its comments are done with: keep memory flat on large exports
    except (ParseError, DefusedXmlException) as error:
        raise ImportFailed(f"{name} is not well-formed XML, or declares entities ({error!r})") from None


def _database_url_without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "an unparsable database URL"


def wordpress_rows(url: str, pending: Unlabelled = Unlabelled.SKIP, trash: Unlabelled = Unlabelled.SKIP,
                   table_prefix: str = "wp_") -> Iterator[SourceRow]:
    """Every comment in a WordPress database (`mysql://user:password@host:port/database`), read in chunks
    through PyMySQL."""
    from sqlalchemy.engine import make_url

    if not _TABLE_PREFIX.fullmatch(table_prefix):
        raise ImportFailed(f"table prefix {table_prefix!r}: letters, digits and underscores only")
    try:
        parsed = make_url(url)
    except Exception:
        raise ImportFailed("--wordpress needs a URL such as mysql://user:password@127.0.0.1:3306/wordpress") from None
    if not parsed.drivername.startswith(("mysql", "mariadb")) or not parsed.database:
        raise ImportFailed("--wordpress needs a URL such as mysql://user:password@127.0.0.1:3306/wordpress")
    import pymysql
    import pymysql.cursors

    shown = _database_url_without_password(url)
    try:
        connection = pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                                     user=parsed.username or "root", password=parsed.password or "",
                                     database=parsed.database, charset="utf8mb4",
                                     cursorclass=pymysql.cursors.SSDictCursor)
    except pymysql.MySQLError as error:
        raise ImportFailed(f"cannot connect to {shown}: {error}") from None
    comments, posts = f"{table_prefix}comments", f"{table_prefix}posts"
    # The prefix is checked above: identifiers cannot be bound as parameters.
    query = (f"SELECT c.comment_ID, c.comment_author, c.comment_author_email, c.comment_author_url, "  # noqa: S608
             f"c.comment_author_IP, c.comment_content, c.comment_approved, c.comment_type, c.comment_agent, "
             f"p.guid FROM `{comments}` c LEFT JOIN `{posts}` p ON p.ID = c.comment_post_ID ORDER BY c.comment_ID")
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(query)
            while rows := cursor.fetchmany(CHUNK):
                for row in rows:
                    labels = _wordpress_labels(str(row["comment_approved"]), row["comment_type"] or "", pending,
                                               trash)
                    yield SourceRow(f"{comments} comment_ID {row['comment_ID']}", {
                        "comment": row["comment_content"], "name": row["comment_author"],
                        "email": row["comment_author_email"], "url": row["comment_author_url"],
                        "ip": row["comment_author_IP"], "user_agent": row["comment_agent"],
                        "article_url": row["guid"] or ""}, labels)
    except pymysql.MySQLError as error:
        raise ImportFailed(f"cannot read the comments of {shown}: {error}") from None


# Disqus.

class _DisqusText(HTMLParser):
    """A Disqus message (HTML) as the text a reader typed: paragraphs and line breaks as newlines, and each
    link's address kept (Disqus shows a shortened text for it), since the address is what a spam link is."""

    _BREAKS = frozenset({"p", "br", "div", "li", "blockquote"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._link: tuple[int, str] | None = None  # where the open link's text starts, and its address

    def handle_starttag(self, tag, attrs):
        if tag in self._BREAKS and self.parts:
            self.parts.append("\n")
        if tag == "a":
            self._link = (len(self.parts), dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            start, href = self._link
            self._link = None
            text = "".join(self.parts[start:]).strip()
            if href and (not text or text in href):
                self.parts[start:] = [href]  # the text was the address, shortened
            elif href:
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        self.parts.append(data)

    def text(self) -> str:
        """What was read, as plain text."""
        return "".join(self.parts)


def disqus_text(message: str) -> str:
    """The plain text of a Disqus message."""
    parser = _DisqusText()
    parser.feed(message)
    parser.close()
    return parser.text()


def disqus_rows(path: str | Path, deleted: Unlabelled = Unlabelled.SKIP) -> Iterator[SourceRow]:
    """Every post of a Disqus export (Export comments, XML), read as a stream."""
    name = Path(path).name
    threads: dict[str, str] = {}  # thread id -> article link
    try:
        for _, element in ElementTree.iterparse(path, events=("end",)):
            local = _local(element.tag)[1]
            if local == "thread" and len(element):
                thread_id = next((v for k, v in element.attrib.items() if _local(k)[1] == "id"), "")
                threads[thread_id] = _children(element).get("link", "").strip()
            elif local == "post":
                post = _children(element)
                post_id = next((v for k, v in element.attrib.items() if _local(k)[1] == "id"), "?")
                author = next((child for child in element if _local(child.tag)[1] == "author"), None)
                who = _children(author) if author is not None else {}
                thread = next((child for child in element if _local(child.tag)[1] == "thread"), None)
                thread_id = next((v for k, v in (thread.attrib.items() if thread is not None else ())
                                  if _local(k)[1] == "id"), "")
                if post.get("isSpam", "").strip().lower() == "true":
                    labels = SPAM
                elif post.get("isDeleted", "").strip().lower() == "true":
                    labels = deleted.labels()
                else:
                    labels = ACCEPTABLE
                yield SourceRow(f"{name}: post {post_id}", {
                    "comment": disqus_text(post.get("message", "")),
                    "name": who.get("name", "") or who.get("username", ""), "email": who.get("email", ""),
                    "ip": post.get("ipAddress", ""), "article_url": threads.get(thread_id, "")}, labels)
                element.clear()
    except (ParseError, DefusedXmlException) as error:
        raise ImportFailed(f"{name} is not well-formed XML, or declares entities ({error!r})") from None


# Storing.

def _kind(labels: ImportedLabels) -> str:
    if labels.spam:
        return "spam"
    if labels.toxic:
        return "toxic"
    return "acceptable"


# Optional metadata that a site's history may hold in any shape: dropped when invalid, as the Akismet front end
# drops it, rather than losing the comment and its label.
_DROPPABLE = ("url", "article_url", "ip", "user_agent")


def _validated(row: SourceRow, settings: ValidationSettings) -> ImportedComment:
    data = {key: ("" if value is None else value) for key, value in row.fields.items()}
    try:
        return validate(ImportedComment, data, settings)
    except ValidationFailed as failure:
        if set(failure.errors) - set(_DROPPABLE):
            raise
        return validate(ImportedComment, {**data, **dict.fromkeys(failure.errors, "")}, settings)


def import_rows(database: Database, rows: Iterable[SourceRow], source: str, file_format: str, actor: str,
                settings: ValidationSettings | None = None, chunk: int = CHUNK) -> ImportReport:
    """Validate and store labelled comments under a new import batch, chunk by chunk."""
    settings = settings or ValidationSettings()
    report = ImportReport(batch=uuid.uuid4().hex)
    with database.transaction() as connection:
        labels_repo.create_batch(connection, report.batch, source, file_format, actor)
    try:
        _store(database, rows, report, settings, chunk, actor)
    except BaseException:
        # A source that fails half-way (a broken file, a lost connection) leaves nothing behind.
        remove_batch(database, report.batch, actor)
        raise
    with database.transaction() as connection:
        labels_repo.finish_batch(connection, report.batch, report.imported, len(report.rejected), report.skipped)
        audit_repo.record(connection, actor, "label.import", report.batch,
                          {"source": source, "format": file_format, "imported": report.imported,
                           "rejected": len(report.rejected), "skipped": report.skipped, "by_kind": report.by_kind})
    return report


def _store(database: Database, rows: Iterable[SourceRow], report: ImportReport, settings: ValidationSettings,
           chunk: int, actor: str) -> None:
    pending: list[tuple[dict, ImportedLabels, bool]] = []

    def flush() -> None:
        with database.transaction() as connection:
            report.imported += labels_repo.insert_many(connection, pending, actor, batch=report.batch)
        pending.clear()

    for row in rows:
        if row.error is not None:
            report.rejected.append(Rejected(row.where, {"_row": [row.error]}))
            continue
        if row.labels is None:
            report.skipped += 1
            continue
        try:
            comment = _validated(row, settings)
        except ValidationFailed as failure:
            report.rejected.append(Rejected(row.where, failure.errors))
            continue
        pending.append((comment.form_fields(), row.labels, is_evaluation_text(comment.comment)))
        report.by_kind[_kind(row.labels)] = report.by_kind.get(_kind(row.labels), 0) + 1
        if len(pending) >= chunk:
            flush()
    if pending:
        flush()


def remove_batch(database: Database, batch: str, actor: str) -> int | None:
    """Remove an import batch and its labels, audited; how many labels went, None if there is no such batch."""
    with database.transaction() as connection:
        removed = labels_repo.remove_batch(connection, batch)
        if removed is not None:
            audit_repo.record(connection, actor, "label.import_removed", batch, {"labels": removed})
    return removed


def rows_from(file_format: str, path: str | Path, pending: Unlabelled = Unlabelled.SKIP,
              trash: Unlabelled = Unlabelled.SKIP) -> Iterator[SourceRow]:
    """The rows of a file in one of FORMATS."""
    if not Path(path).is_file():
        raise ImportFailed(f"{path}: no such file")
    if file_format == "wxr":
        return wxr_rows(path, pending, trash)
    if file_format == "disqus":
        return disqus_rows(path, trash)
    if file_format in ("csv", "jsonl"):
        return tabular_rows(path, file_format)
    raise ImportFailed(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")
