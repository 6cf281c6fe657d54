"""training_data/ follows the schema its README documents."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bench.accuracy import PROBES, SWEARING_PROBES
from model.corpus import REQUIRED_KEYS, read_jsonl, record_errors

DATA = Path(__file__).resolve().parent.parent / "training_data"
FILES = sorted(DATA.glob("*.jsonl"))


def test_there_is_data():
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_record_is_valid(path):
    problems = [f"{path.name}:{n}: {e}" for n, record in read_jsonl(path) for e in record_errors(record)]
    assert not problems, "\n".join(problems[:20])


def test_comments_are_distinct():
    counts = Counter(record["comment"].strip().lower() for path in FILES for _, record in read_jsonl(path))
    repeated = [text for text, n in counts.items() if n > 1]
    assert not repeated, repeated[:5]


def test_readme_documents_every_key():
    readme = (DATA / "README.md").read_text()
    for key in REQUIRED_KEYS:
        assert f"`{key}`" in readme


@pytest.mark.parametrize("probes", [PROBES, SWEARING_PROBES], ids=lambda p: p.name)
def test_benchmark_probes_are_not_training_data(probes):
    def key(text):
        return " ".join(re.findall(r"[a-z0-9']+", text.lower()))  # punctuation and emoji aside

    trained = {key(record["comment"]) for path in FILES for _, record in read_jsonl(path)}
    leaked = [record["comment"] for _, record in read_jsonl(probes) if key(record["comment"]) in trained]
    assert not leaked, leaked[:5]
