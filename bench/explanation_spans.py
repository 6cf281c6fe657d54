"""Do the words a moderator is shown fall inside what people marked as toxic? SemEval-2021 Toxic Spans test set.

    make bench-explanations     # or: .venv/bin/python -m bench.explanation_spans

For every test comment with annotated toxic spans, the default model's toxicity explanation names up to five
terms. A term counts as "in a span" when at least half the letters of one of its occurrences in the comment lie
inside the annotated offsets. Next to it, in the same run, a baseline blames as many random content words of the same
comment: the ratio between the two says how much the explanations know, whatever the share of toxic words.
It also reports the share of the content words inside the spans that the explanations name.
"""

from __future__ import annotations

import random
import re
import string
import sys

from bench import datasets
from bench.accuracy import default_model
from model.features import content_words
from model.normalize import normalize_text

_RAW_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"(?u)\b\w+\b")
# Punctuation around a raw token is not part of the word ("IDIOT!!!" is five letters), except for the
# symbols that obfuscation puts at a word's start ("$hit", "@ss").
_EDGE = string.punctuation.replace("$", "").replace("@", "")


def word_positions(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for every word of text, the offsets pointing into the raw text."""
    words = []
    for match in _RAW_TOKEN.finditer(text):
        token = match.group()
        start = match.start() + len(token) - len(token.lstrip(_EDGE))
        end = match.start() + len(token.rstrip(_EDGE))
        for word in _WORD.findall(normalize_text(token)):
            words.append((word, start, max(end, start + 1)))
    return words


def occurrences(term: str, words: list[tuple[str, int, int]]) -> list[range]:
    """Character ranges of the raw text where the term (one or more words) occurs."""
    parts = term.split()
    found = []
    for i in range(len(words) - len(parts) + 1):
        if all(words[i + j][0] == part for j, part in enumerate(parts)):
            found.append(range(words[i][1], words[i + len(parts) - 1][2]))
    return found


def in_span(term: str, words: list[tuple[str, int, int]], toxic: set[int], text: str) -> bool:
    """Whether at least half the non-space characters of some occurrence of term are annotated toxic."""
    for where in occurrences(term, words):
        characters = [i for i in where if not text[i].isspace()]
        if characters and sum(i in toxic for i in characters) / len(characters) >= 0.5:
            return True
    return False


def main() -> int:
    """Score the spans test set and print our explanations' precision next to the random baseline."""
    items = [(text, set(offsets)) for text, offsets in datasets.spans_items() if offsets]
    if not items:
        print(f"bench-explanations: skipped, no Toxic Spans test set under {datasets.DATASETS_DIR}")
        return 0
    model = default_model().model
    rng = random.Random(0)
    ours = {"terms": 0, "in_span": 0, "top_hits": 0, "comments": 0, "not_located": 0, "span_words": 0,
            "span_words_named": 0}
    baseline = {"terms": 0, "in_span": 0, "top_hits": 0, "comments": 0}
    for text, toxic in items:
        words = word_positions(text)
        named = [term for term, _ in model.score({"comment": text}).explanations["toxicity"]
                 if not term.startswith(("signal:", "name:", "("))]
        terms = [term for term in named if occurrences(term, words)]
        ours["not_located"] += len(named) - len(terms)
        content = sorted(content_words(" ".join(w for w, _, _ in words)))
        if not terms or not content:
            continue
        span_words = {w for w in content if in_span(w, words, toxic, text)}
        ours["span_words"] += len(span_words)
        ours["span_words_named"] += len(span_words & set(terms))
        guesses = rng.sample(content, min(len(terms), len(content)))
        for tally, blamed in ((ours, terms), (baseline, guesses)):
            hits = [in_span(term, words, toxic, text) for term in blamed]
            tally["terms"] += len(hits)
            tally["in_span"] += sum(hits)
            tally["top_hits"] += hits[0]
            tally["comments"] += 1
    if not ours["comments"] or not baseline["in_span"]:
        print("bench-explanations: no comment had both an explanation and content words to compare")
        return 0
    print(f"{ours['comments']} Toxic Spans test comments with annotated spans and a toxicity explanation "
          f"({ours['not_located']} named terms could not be located in the raw text and are left out)")
    for name, tally in (("our explanations", ours), ("random content words", baseline)):
        print(f"{name:22} terms {tally['terms']:5d}  in a toxic span {tally['in_span'] / tally['terms']:.1%}  "
              f"top term in a span {tally['top_hits'] / tally['comments']:.1%}")
    ratio = (ours["in_span"] / ours["terms"]) / (baseline["in_span"] / baseline["terms"])
    print(f"ratio ours / random (share of blamed terms inside a span): {ratio:.2f}")
    if ours["span_words"]:
        print(f"content words inside the toxic spans that our explanations name: "
              f"{ours['span_words_named']}/{ours['span_words']} = {ours['span_words_named'] / ours['span_words']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
