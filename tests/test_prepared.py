"""PreparedText: a comment's text facts computed once, and scoring from them equal to the matrix path."""

from __future__ import annotations

import numpy as np
import pytest

from model import PreparedText, load_training_data, prepare
from model.features import _WORD_TOKEN, ColumnMask, _ContentWords, content_words
from model.lexicon import _MATCHERS, lexicon_counts
from model.normalize import normalize_text
from model.signals import domain_of, links_in
from tests.conftest import TRAINING_DATA

EDGE_CASES = [
    {"comment": "", "name": "", "email": "", "url": ""},
    {"comment": "Visit www.cheap-pills.xyz and http://t.co/abc or mail me at sales@pills.biz", "name": "Best Pills",
     "email": "x@pills.biz", "url": "http://pills.biz"},
    {"comment": "\u0405\u0440\u0435cial \u043effer!!! f u c k 1d10t #LockThemUp @USER URL", "name": "Jо"},
    {"comment": "I\u2019ll call +1 888 555 0199 for $5000 a week, you moron", "name": "a", "email": "", "url": ""},
]


@pytest.fixture(scope="module")
def loaded(trained_store):
    return trained_store.load_active()


@pytest.fixture(scope="module")
def sample():
    """Comments the small test model mostly did not train on, plus the cases that exercise each field."""
    return [e.fields() for e in load_training_data(TRAINING_DATA)[3::40]] + EDGE_CASES


def test_prepare_computes_each_fact_once():
    fields = EDGE_CASES[1]
    text = prepare(fields)
    assert isinstance(text, PreparedText)
    assert (text.comment, text.name, text.email, text.url) == tuple(fields[k] for k in ("comment", "name", "email",
                                                                                          "url"))
    assert text.normalized == normalize_text(fields["comment"])
    assert text.normalized_name == normalize_text(fields["name"])
    assert text.links == tuple(links_in(fields["comment"]))
    assert text.domains == ("cheap-pills.xyz", "t.co", "pills.biz")
    assert text.domains == tuple(d for d in map(domain_of, text.links) if d)


def test_prepare_treats_missing_fields_as_empty():
    text = prepare({"comment": "hello", "name": None})
    assert (text.name, text.email, text.url, text.normalized_name, text.links, text.domains) == ("", "", "", "", (),
                                                                                                  ())


def test_prepared_text_is_immutable():
    with pytest.raises(AttributeError):
        prepare({"comment": "hello"}).normalized = "changed"


def test_score_prepared_equals_the_matrix_path(loaded, sample):
    model = loaded.model
    prepared = [prepare(f) for f in sample]
    scored = [model.score_prepared([p])[0] for p in prepared]
    reference = model.probabilities(sample)  # float32 features: equal to about 1e-8
    assert np.allclose([s.spam for s in scored], reference["spam"], rtol=0, atol=1e-6)
    assert np.allclose([s.toxicity for s in scored], reference["toxicity"], rtol=0, atol=1e-6)

    matrix = model.features.transform(sample)
    if model.category_head is not None:
        text_matrix = ColumnMask(model.pipeline("toxicity").named_steps["ignored_columns"].drop).transform(matrix)
        shares = model.category_head.predict_proba(text_matrix)
        names = [str(c) for c in model.category_head.classes_]
        for s, row in zip(scored, shares, strict=True):
            assert s.categories.keys() == set(names)
            assert np.allclose([s.categories[n] for n in names], s.toxicity * row, rtol=0, atol=1e-6)


def test_rows_equal_transform(loaded, sample):
    features = loaded.model.features
    matrix = features.transform(sample)
    for i, (indices, values, normalized) in enumerate(features.rows([prepare(f) for f in sample])):
        row = np.zeros(matrix.shape[1])
        np.add.at(row, indices, values)
        assert np.allclose(row, matrix[i].toarray()[0], rtol=0, atol=1e-6)
        assert normalized == normalize_text(sample[i]["comment"])


def test_score_many_is_score_prepared(loaded, sample):
    fields = sample[:20]
    by_fields = loaded.model.score_many(fields)
    by_prepared = loaded.model.score_prepared([prepare(f) for f in fields])
    assert by_fields == by_prepared


def test_word_list_counts_equal_the_list_patterns(sample):
    # The counts come from a per-word lookup plus a search for phrases; the patterns are the definition.
    texts = [normalize_text(f["comment"]) for f in sample] + [
        "shut up you idiots, go to hell", "camel jockeys and fuckfuck dumbass retarded", "shut upper idiot1 idiot_x"]
    for text in texts:
        expected = {name: n for name, matcher in _MATCHERS.items() if (n := len(matcher.findall(text)))}
        assert lexicon_counts(text) == expected, text


def test_character_ngrams_are_credited_to_the_words_containing_them(sample):
    for f in sample:
        normalized = normalize_text(f["comment"])
        words = _ContentWords(normalized)
        ordered = list(dict.fromkeys(t for t in _WORD_TOKEN.findall(normalized)
                                     if t in content_words(normalized)))
        # What a character n-gram is stripped to: up to five characters of one word (char_wb never spans two).
        grams = {word[i:i + n] for word in normalized.split() for n in (1, 3, 5) for i in range(len(word))}
        for gram in grams:
            assert words.containing(gram) == [t for t in ordered if gram in t], (normalized, gram)
