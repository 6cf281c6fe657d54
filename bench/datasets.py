"""Loaders for the real, labelled comment datasets in the shared datasets folder (evaluation and benchmarks only).

The files are read at run time from ``DATASETS_DIR`` (default ``<repo root>/../shared/datasets``, overridable with
the environment variable ``MODERATION_DATASETS_DIR``). Nothing from them is ever copied into this repository. A
dataset whose files are missing is skipped, so benchmarks still run on a machine without the folder.

Splits, per dataset (``Dataset.everything()`` is train + test, for evaluating the shipped model on all of it):

- ``youtube-spam``: ``train`` is empty and ``test`` is every comment of the three videos (the shipped model never saw
  them). ``folds`` holds the cross-video protocol: for each video in the order Psy, KatyPerry, LMFAO, train on the
  other two videos and test on it. YouTube's HTML (``<br />``, links, entities) is turned back into plain text.
- ``olid``: the official split, train = ``olid-training-v1.0.tsv``, test = test set A joined with its gold labels.
- ``davidson``, ``civil-comments``, ``sms-spam``: no official split, so a stratified 80/20 split with a seeded
  shuffle (``SEED``); items keep their file order within each split.
- ``jigsaw-sample``: ``train`` is empty and ``test`` is all 101 comments (a smoke test only).

``civil-comments`` labels are a per-comment majority of the Toxic Spans crowd workers, ties dropped. A worker counts
as "not toxic" when their ``not toxic`` column is ``True``. The annotation form only hid the (required) span
highlighter when both tick-boxes were ticked, so ``all toxic`` and ``not toxic`` are both ``True`` in most such rows
(no worker has ``not toxic`` alone without spans), and a few workers tick both on every comment. Every comment was
also pre-selected from Civil Comments as likely toxic, so the negatives are borderline comments, not clean ones.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_DIR: Path = Path(os.environ.get("MODERATION_DATASETS_DIR") or REPO_ROOT.parent / "shared" / "datasets")

SEED = 0
TEST_FRACTION = 0.2

_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One labelled comment."""

    comment: str
    name: str = ""
    label: int = 0
    group: str = ""

    def fields(self) -> dict[str, str]:
        """Return the comment as the service's input fields (email and url left empty)."""
        return {"comment": self.comment, "name": self.name, "email": "", "url": ""}


@dataclass(frozen=True)
class Dataset:
    """A named dataset with its splits and the model score (``spam`` or ``toxicity``) its labels measure."""

    name: str
    label: str
    description: str
    train: list[Item]
    test: list[Item]
    folds: Sequence[tuple[list[Item], list[Item]]] = ()

    def everything(self) -> list[Item]:
        """Return train + test, each item once (by identity, so duplicate texts in the data are kept)."""
        seen: set[int] = set()
        out: list[Item] = []
        for item in [*self.train, *self.test]:
            if id(item) not in seen:
                seen.add(id(item))
                out.append(item)
        return out

    def pool_and_test(self) -> tuple[list[Item], list[Item]]:
        """Where a learning benchmark draws its labels from, and what it measures on: the last fold where there
        are folds (cross-video for YouTube spam), else the train and test splits."""
        if self.folds:
            return self.folds[-1]
        return self.train, self.test


def _path(*parts: str) -> Path:
    """Return a path inside the current ``DATASETS_DIR``."""
    return DATASETS_DIR.joinpath(*parts)


def _rows(path: Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> Iterator[list[str]]:
    """Yield the CSV/TSV rows of a UTF-8 file (BOM stripped, undecodable bytes replaced), header included."""
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        yield from csv.reader(handle, delimiter=delimiter, quoting=quoting)


def _dicts(path: Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> Iterator[dict[str, str]]:
    """Yield rows as dicts keyed by the stripped header; short rows are skipped."""
    rows = _rows(path, delimiter, quoting)
    header = [column.strip() for column in next(rows, [])]
    for row in rows:
        if len(row) >= len(header):
            yield dict(zip(header, row, strict=False))


def _clean(text: str, entities: bool = False, tags: bool = False) -> str:
    """Return text with BOMs removed and, on request, HTML tags and entities turned into plain text, trimmed."""
    if tags:
        text = _TAG.sub("", _BR.sub("\n", text))
    if entities:
        text = html.unescape(text)
    return text.replace("\ufeff", "").strip()


def _split(items: list[Item], seed: int = SEED, test_fraction: float = TEST_FRACTION) -> tuple[list[Item], list[Item]]:
    """Split items into (train, test), stratified by label, with a seeded shuffle; file order is kept in each."""
    rng = np.random.default_rng(seed)
    labels = np.array([item.label for item in items], dtype=np.int64)
    test_mask = np.zeros(len(items), dtype=bool)
    for value in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == value))
        test_mask[indices[: round(len(indices) * test_fraction)]] = True
    train = [item for item, is_test in zip(items, test_mask, strict=True) if not is_test]
    test = [item for item, is_test in zip(items, test_mask, strict=True) if is_test]
    return train, test


def _youtube() -> Dataset | None:
    """Load the YouTube Spam Collection: all videos in ``test``, leave-one-video-out splits in ``folds``."""
    order = {"Psy": 0, "KatyPerry": 1, "LMFAO": 2}
    files = sorted(_path("youtube-spam").glob("Youtube*-*.csv"))
    videos: dict[str, list[Item]] = {}
    for file in files:
        video = file.stem.split("-", 1)[1]
        items = []
        for row in _dicts(file):
            comment = _clean(row["CONTENT"], entities=True, tags=True)
            if comment and row["CLASS"].strip() in ("0", "1"):
                name = _clean(row["AUTHOR"], entities=True)
                items.append(Item(comment, name=name, label=int(row["CLASS"]), group=video))
        videos[video] = items
    if not videos:
        return None
    names = sorted(videos, key=lambda video: (order.get(video, len(order)), video))
    folds = []
    if len(names) > 1:
        for held_out in names:
            rest = [item for other in names if other != held_out for item in videos[other]]
            folds.append((rest, videos[held_out]))
    return Dataset(
        name="youtube-spam",
        label="spam",
        description=f"YouTube Spam Collection ({', '.join(names)}): test = all videos, folds = leave-one-video-out",
        train=[],
        test=[item for video in names for item in videos[video]],
        folds=folds,
    )


def _olid() -> Dataset:
    """Load OLID v1.0 sub-task A: the official training set and test set A (OFF = 1, NOT = 0)."""
    # The TSVs are CSV-quoted: every tweet containing '"' is wrapped in quotes with inner quotes doubled.
    train = []
    for row in _dicts(_path("olid", "olid-training-v1.0.tsv"), "\t"):
        comment = _clean(row["tweet"], entities=True)
        if comment and row["subtask_a"].strip() in ("OFF", "NOT"):
            train.append(Item(comment, label=int(row["subtask_a"].strip() == "OFF")))
    gold = {row["id"].strip(): row["label"].strip() for row in _dicts(_path("olid", "labels-levela.csv"))}
    test = []
    for row in _dicts(_path("olid", "testset-levela.tsv"), "\t"):
        comment = _clean(row["tweet"], entities=True)
        label = gold.get(row["id"].strip())
        if comment and label in ("OFF", "NOT"):
            test.append(Item(comment, label=int(label == "OFF")))
    return Dataset("olid", "toxicity", "OLID test set A, OFF vs NOT (official train/test split)", train, test)


def _davidson() -> Dataset:
    """Load Davidson et al. 2017: hate or offensive (class 0 or 1) = 1, neither (class 2) = 0."""
    items = []
    for row in _dicts(_path("davidson2017", "labeled_data.csv")):
        comment = _clean(row["tweet"], entities=True)
        if comment and row["class"].strip() in ("0", "1", "2"):
            items.append(Item(comment, label=int(row["class"].strip() != "2")))
    train, test = _split(items)
    description = "Davidson 2017 tweets, hate or offensive vs neither (seeded stratified 80/20 split)"
    return Dataset("davidson", "toxicity", description, train, test)


def _civil_votes() -> dict[str, list[int]]:
    """Each Toxic Spans comment's crowd votes, in file order: 1 = toxic, 0 = not toxic."""
    votes: dict[str, list[int]] = defaultdict(list)
    for row in _dicts(_path("civil-comments-toxic-spans", "data", "annotations.csv")):
        votes[row["comment_id"].strip()].append(int(row["not toxic"].strip().lower() != "true"))
    return votes


def _civil_comments() -> Dataset:
    """Load Toxic Spans Civil Comments labelled by worker majority (``not toxic`` column), ties dropped."""
    votes = _civil_votes()
    items = []
    for row in _dicts(_path("civil-comments-toxic-spans", "data", "comments.csv")):
        comment_votes = votes.get(row["comment_id"].strip(), [])
        toxic, not_toxic = sum(comment_votes), len(comment_votes) - sum(comment_votes)
        comment = _clean(row["comment_text"])
        if comment and toxic != not_toxic:
            items.append(Item(comment, label=int(toxic > not_toxic)))
    train, test = _split(items)
    description = "Civil Comments (Toxic Spans, pre-selected as likely toxic), worker majority; seeded 80/20 split"
    return Dataset("civil-comments", "toxicity", description, train, test)


def civil_comments_worker_agreement() -> float | None:
    """How well one crowd worker's vote predicts the majority of the other workers on the same comment, as a
    ROC-AUC: what a model that judged like a typical worker would score against these labels. (A model can
    beat it, since a majority is less noisy than one worker, but it says how noisy the labels are.) None if
    the annotations are missing."""
    if not _path("civil-comments-toxic-spans", "data", "annotations.csv").exists():
        return None
    truth, vote = [], []
    for votes in _civil_votes().values():
        for k, own in enumerate(votes):
            others = votes[:k] + votes[k + 1:]
            if len(others) >= 2 and 2 * sum(others) != len(others):
                truth.append(int(2 * sum(others) > len(others)))
                vote.append(own)
    # A yes/no predictor's ROC-AUC is the mean of its true-positive and true-negative rates.
    truth_array, vote_array = np.array(truth), np.array(vote)
    if truth_array.min(initial=1) == truth_array.max(initial=0):
        return None
    return float((vote_array[truth_array == 1].mean() + (1 - vote_array[truth_array == 0]).mean()) / 2)


def _jigsaw_sample() -> Dataset:
    """Load the 101-comment Jigsaw sample (``toxic`` column), all in ``test``."""
    test = []
    for row in _dicts(_path("jigsaw-toxic-ibm-sample", "test_examples.csv")):
        comment = _clean(row["comment_text"])
        if comment and row["toxic"].strip() in ("0", "1"):
            test.append(Item(comment, label=int(row["toxic"])))
    return Dataset("jigsaw-sample", "toxicity", "Jigsaw Toxic Comment sample (101, lower-cased), toxic", [], test)


def _sms_spam() -> Dataset:
    """Load SMS Spam Collection v.1 (spam = 1, ham = 0) with a seeded stratified 80/20 split."""
    items = []  # raw text, not CSV-quoted: a leading '"' belongs to the message
    for row in _rows(_path("sms-spam-collection", "SMSSpamCollection"), "\t", csv.QUOTE_NONE):
        if len(row) < 2 or row[0].strip() not in ("spam", "ham"):
            continue
        comment = _clean("\t".join(row[1:]), entities=True)
        if comment:
            items.append(Item(comment, label=int(row[0].strip() == "spam")))
    train, test = _split(items)
    description = "SMS Spam Collection v.1, spam vs ham, out of domain (seeded stratified 80/20 split)"
    return Dataset("sms-spam", "spam", description, train, test)


_LOADERS: dict[str, tuple[Callable[[], Dataset | None], tuple[tuple[str, ...], ...]]] = {
    "youtube-spam": (_youtube, (("youtube-spam",),)),
    "olid": (
        _olid,
        (("olid", "olid-training-v1.0.tsv"), ("olid", "testset-levela.tsv"), ("olid", "labels-levela.csv")),
    ),
    "davidson": (_davidson, (("davidson2017", "labeled_data.csv"),)),
    "civil-comments": (
        _civil_comments,
        (
            ("civil-comments-toxic-spans", "data", "comments.csv"),
            ("civil-comments-toxic-spans", "data", "annotations.csv"),
        ),
    ),
    "jigsaw-sample": (_jigsaw_sample, (("jigsaw-toxic-ibm-sample", "test_examples.csv"),)),
    "sms-spam": (_sms_spam, (("sms-spam-collection", "SMSSpamCollection"),)),
}

NAMES: tuple[str, ...] = tuple(_LOADERS)


def available() -> bool:
    """Return whether the shared datasets folder exists."""
    return DATASETS_DIR.is_dir()


def load(name: str) -> Dataset | None:
    """Return the named dataset, or None when its files are missing; raise ValueError for an unknown name."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")
    loader, required = _LOADERS[name]
    if not all(_path(*parts).exists() for parts in required):
        return None
    try:
        return loader()
    except FileNotFoundError:
        return None


def requested(names: str) -> Iterator[Dataset]:
    """The datasets named (comma-separated) whose files exist, in that order, saying which are missing."""
    for name in names.split(","):
        dataset = load(name)
        if dataset is None:
            print(f"{name}: files missing, skipped")
        else:
            yield dataset


def load_all() -> list[Dataset]:
    """Return every dataset whose files exist, in ``NAMES`` order; missing ones are skipped silently."""
    return [dataset for name in NAMES if (dataset := load(name)) is not None]


def spans_items() -> list[tuple[str, list[int]]]:
    """Return (text, toxic character offsets) pairs from the Toxic Spans SemEval-2021 test set, or [] if missing."""
    path = _path("civil-comments-toxic-spans", "SemEval2021", "data", "tsd_test.csv")
    if not path.exists():
        return []
    out = []
    for row in _dicts(path):
        try:
            offsets = [int(offset) for offset in json.loads(row["spans"])]
        except (ValueError, TypeError):
            continue
        out.append((row["text"], offsets))
    return out


def _summary() -> None:
    """Print split sizes and positive rates of every available dataset."""

    def describe(items: list[Item]) -> str:
        """Return 'n (pos%)' for a list of items."""
        if not items:
            return "0"
        return f"{len(items)} ({sum(item.label for item in items) / len(items):.1%} pos)"

    print(f"DATASETS_DIR={DATASETS_DIR} available={available()}")
    for dataset in load_all():
        print(f"{dataset.name} [{dataset.label}] {dataset.description}")
        print(f"  train {describe(dataset.train)}  test {describe(dataset.test)}  all {describe(dataset.everything())}")
        for train, test in dataset.folds:
            print(f"  fold test={test[0].group if test else '?'}: train {describe(train)}  test {describe(test)}")
    spans = spans_items()
    print(f"spans_items: {len(spans)} texts, {sum(1 for _, offsets in spans if offsets)} with spans")


if __name__ == "__main__":
    _summary()
