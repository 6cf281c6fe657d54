"""Reading labelled examples from a site's own history or a public dataset (CSV, TSV or JSON Lines).

Native columns: comment (required), name, email, url, spam, toxic, category. spam and toxic take
1/0, true/false, yes/no or spam/ham. Two public layouts are recognised by their headers:
- the YouTube Spam Collection: COMMENT_ID, AUTHOR, DATE, CONTENT, CLASS (1 = spam);
- OLID: id, tweet, subtask_a (OFF = offensive), tab-separated.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from model.corpus import CATEGORIES
from moderation.schemas import Labels

_TRUE = {"1", "true", "yes", "spam", "off", "toxic"}
_FALSE = {"0", "false", "no", "ham", "not", "", "none", "null"}


class ImportFailed(ValueError):
    """A file that cannot be imported, with the line that failed."""


def _flag(value, where: str, column: str) -> bool:
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ImportFailed(f"{where}: {column}={value!r} is not a 0/1 label")


def _native(row: dict, where: str) -> tuple[dict, Labels]:
    comment = (row.get("comment") or "").strip()
    if not comment:
        raise ImportFailed(f"{where}: no comment text")
    toxic = _flag(row.get("toxic"), where, "toxic")
    category = (row.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        raise ImportFailed(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    fields = {"comment": comment, "name": (row.get("name") or "").strip()[:100],
              "email": (row.get("email") or "").strip(), "url": (row.get("url") or "").strip()}
    return fields, Labels(spam=_flag(row.get("spam"), where, "spam"), toxic=toxic,
                          category=(category or "other") if toxic else None)


def _row_mapper(header: list[str]):
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


def read_labelled_file(path: str | Path, file_format: str) -> list[tuple[dict, Labels]]:
    """Every labelled example in a CSV/TSV or JSON Lines file."""
    text = Path(path).read_text(encoding="utf-8-sig")
    name = Path(path).name
    if file_format == "jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError as error:
                    raise ImportFailed(f"{name}:{number}: not JSON ({error})") from None
                rows.append(_native(record, f"{name}:{number}"))
        return rows
    if file_format != "csv":
        raise ImportFailed(f"unknown format {file_format!r}: use csv or jsonl")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    mapper = _row_mapper(reader.fieldnames or [])
    return [mapper({k.strip(): v for k, v in row.items() if k}, f"{name}:{number}")
            for number, row in enumerate(reader, 2)]
