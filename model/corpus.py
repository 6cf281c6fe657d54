"""Labelled examples: the schema of training_data/ and how it is read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

CATEGORIES = ("insult", "threat", "identity_attack", "obscene", "other")
TOPICS = ("politics", "world", "economy", "sport", "culture", "local", "science", "crime", "religion", "general")
REQUIRED_KEYS = {"comment", "name", "email", "url", "spam", "toxic", "category", "topic", "tags"}


@dataclass(frozen=True)
class Example:
    """One labelled comment; spam or toxic is None where the example says nothing about it."""

    comment: str
    name: str = ""
    email: str = ""
    url: str = ""
    spam: int | None = 0
    toxic: int | None = 0
    category: str | None = None
    weight: float = 1.0
    source: str = "training_data"

    def fields(self) -> dict[str, str]:
        """The form fields the model reads."""
        return {"comment": self.comment, "name": self.name, "email": self.email, "url": self.url}


def record_errors(record: Mapping) -> list[str]:
    """Every way one training_data record breaks the documented schema (empty if it is valid)."""
    errors = []
    keys = set(record)
    if keys != REQUIRED_KEYS:
        missing, extra = REQUIRED_KEYS - keys, keys - REQUIRED_KEYS
        errors.append(f"keys: missing {sorted(missing)}, unexpected {sorted(extra)}")
    for key in ("comment", "name", "email", "url"):
        if not isinstance(record.get(key), str):
            errors.append(f"{key} must be a string")
    if isinstance(record.get("comment"), str) and not record["comment"].strip():
        errors.append("comment must not be blank")
    if isinstance(record.get("name"), str) and not 1 <= len(record["name"].strip()) <= 100:
        errors.append("name must be 1-100 characters")
    for key in ("spam", "toxic"):
        if record.get(key) not in (0, 1) or isinstance(record.get(key), bool):
            errors.append(f"{key} must be 0 or 1")
    category = record.get("category")
    if record.get("toxic") == 1 and category not in CATEGORIES:
        errors.append(f"toxic comments need a category in {CATEGORIES}")
    if record.get("toxic") == 0 and category is not None:
        errors.append("category must be null when toxic is 0")
    if record.get("topic") not in TOPICS:
        errors.append(f"topic must be one of {TOPICS}")
    tags = record.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors.append("tags must be a list of strings")
    return errors


def read_jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    """(line number, object) for every line of a JSON Lines file."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, json.loads(line)


def load_training_data(directory: Path) -> list[Example]:
    """Every example in directory/*.jsonl, in a stable order; raises ValueError on a bad record."""
    examples = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        for number, record in read_jsonl(path):
            errors = record_errors(record)
            if errors:
                raise ValueError(f"{path.name}:{number}: {'; '.join(errors)}")
            examples.append(Example(comment=record["comment"], name=record["name"], email=record["email"],
                                    url=record["url"], spam=record["spam"], toxic=record["toxic"],
                                    category=record["category"], source=f"training_data/{path.name}"))
    if not examples:
        raise ValueError(f"no training examples found in {directory}")
    return examples


def examples_hash(examples: Iterable[Example]) -> str:
    """A SHA-256 over the examples' content, so a manifest pins exactly what a model learned from."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(asdict(example), sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
