"""The model's public API: normalisation, scoring, explanations and the checked model store."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from model import ModelLoadError, ModelStore, prepare, train_model
from model.classifier import C_GRID
from model.normalize import normalize_text
from model.signals import extract_signals
from model.store import ARTIFACT, MANIFEST


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("You 1d10t", "you idiot"),
        ("buy v!agra", "buy viagra"),
        ("f u c k off", "fuck off"),
        ("c.a.s.i.n.o", "casino"),
        ("stuuuupid", "stupid"),
        ("\u0405\u0440\u0435cial \u043effer", "special offer"),  # Cyrillic lookalikes
        ("ｆｒｅｅ money", "free money"),  # full-width
        ("in 2019 it cost $4.50", "in 2019 it cost $4.50"),
        ("Kill the bill", "kill the bill"),
        ("#LiberalismIsADisorder #MAGA", "#liberalism is a disorder #maga"),  # hashtags read as words
        ("@USER so true URL", " xuserx  so true  xurlx "),  # mentions and anonymised links are placeholders
        ("I\u2019ll be there, won't you?", "i will be there, will not you?"),  # contractions spelled out
        ("It's Trump's call; I'm sure they've can't", "its trumps call; i am sure they have cannot"),
        ("rock'n'roll at o'clock", "rock'n'roll at o'clock"),
    ],
)
def test_normalisation_undoes_obfuscation(raw, expected):
    assert normalize_text(raw) == expected


def test_links_become_a_token():
    assert "xurlx" in normalize_text("see http://cheap-pills.xyz/buy now")


@pytest.fixture(scope="module")
def loaded(trained_store):
    return trained_store.load_active()


def test_scores_are_probabilities_with_explanations(loaded):
    scores = loaded.model.score({"comment": "Great post! Cheap loans at quickcash.top call +1 888 555 0199",
                                 "name": "Best Cheap Loans", "email": "a@quickcash.top", "url": ""})
    assert 0 <= scores.spam <= 1 and 0 <= scores.toxicity <= 1
    assert set(scores.explanations) == {"spam", "toxicity"}
    assert scores.explanations["spam"], "the spam score names its top terms"
    assert all(weight > 0 for _, weight in scores.explanations["spam"])


def test_ranks_obvious_cases(loaded):
    civil = {"comment": "I think the mayor's transport plan is underfunded, but the bus lanes are a good start.",
             "name": "Maria", "email": "maria@gmail.com", "url": ""}
    spam = {"comment": "Make $5000 a week from home!! Visit easy-cash-jobs.xyz now", "name": "Work From Home Jobs",
            "email": "jobs@easy-cash-jobs.xyz", "url": "http://easy-cash-jobs.xyz"}
    toxic = {"comment": "You are a pathetic worthless moron, shut the fuck up", "name": "Tom",
             "email": "tom@gmail.com", "url": ""}
    civil_s, spam_s, toxic_s = loaded.model.score_many([civil, spam, toxic])
    assert spam_s.spam > civil_s.spam
    assert toxic_s.toxicity > civil_s.toxicity
    assert sum(toxic_s.categories.values()) == pytest.approx(toxic_s.toxicity, abs=1e-6)


def test_toxicity_explanation_names_the_offending_words(loaded):
    scores = loaded.model.score({"comment": "Honestly you are a worthless idiot and a liar", "name": "a",
                                 "email": "a@b.org", "url": ""})
    terms = [term for term, _ in scores.explanations["toxicity"]]
    assert set(terms[:2]) <= {"worthless", "idiot", "liar"} and "idiot" in terms, terms
    assert not any(term.startswith("signal:lexicon_") for term in terms), "word lists show the words they counted"
    assert not {"are", "a", "and"} & set(terms), "function words tell a moderator nothing"


def test_negation_is_read(loaded):
    [negated] = loaded.model.features.rows([{"comment": "you are not stupid"}])
    names = loaded.model.features.get_feature_names_out()[negated[0]]
    assert "word:not stupid" in names or "word:not" in names


def test_spam_head_does_not_read_the_word_lists(loaded):
    lexicon = loaded.model.features.lexicon_columns()
    assert lexicon.any()
    head = loaded.model.pipeline("spam").named_steps["classifier"].estimator_
    assert not head.coef_[0][lexicon].any()


@pytest.mark.parametrize("label", ["spam", "toxicity"])
def test_pipeline_per_label_matches_the_model(loaded, label):
    examples = [{"comment": "what a great match", "name": "a", "email": "a@b.org", "url": ""},
                {"comment": "Visit cheap-pills.xyz, you idiot", "name": "Best Pills", "email": "", "url": ""}]
    pipeline = loaded.model.pipeline(label)
    probabilities = loaded.model.probabilities(examples)[label]
    assert np.allclose(pipeline.predict_proba(examples)[:, 1], probabilities)
    assert (pipeline.predict(examples) == (probabilities >= 0.5)).all()
    assert np.allclose([getattr(s, label) for s in loaded.model.score_many(examples)], probabilities)


@pytest.mark.parametrize("form", ["@USER", "URL", "@USER @someone https://example.org/story", "a@b.org"])
def test_links_mentions_and_emails_carry_no_toxicity(loaded, form):
    bare = loaded.model.score({"comment": ""}, explain=False).toxicity
    assert loaded.model.score({"comment": form}, explain=False).toxicity == pytest.approx(bare)


def test_explanations_do_not_blame_mentions_for_toxicity(loaded):
    reasons = loaded.model.score({"comment": "@USER @USER you abuser"}).explanations["toxicity"]
    assert reasons and all(term != "(a mention)" for term, _ in reasons)


def test_manifest_records_how_the_model_was_made(loaded):
    manifest = loaded.manifest
    assert {"version", "created_at", "libraries", "training_data", "metrics", "thresholds"} <= set(manifest)
    assert {"scikit-learn", "numpy", "joblib"} <= set(manifest["libraries"])
    assert len(manifest["training_data"]["sha256"]) == 64
    for label in ("spam", "toxicity"):
        assert 0.5 < manifest["metrics"]["out_of_fold"][label]["roc_auc"] <= 1
        assert manifest["metrics"]["regularization_c"][label] in C_GRID
        assert 0 < manifest["thresholds"][label]["hold_at"] <= manifest["thresholds"][label]["reject_at"] < 1


def _rewrite_manifest(store: ModelStore, version: str, change) -> None:
    path = store.root / version / MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))
    if store.signing_key is not None:
        store.sign(version)  # signed as the service would, so that the check under test is the one that refuses


def test_refuses_a_tampered_artifact(model_store):
    version = model_store.active_version()
    with (model_store.root / version / ARTIFACT).open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelLoadError, match="hash"):
        model_store.load(version)


@pytest.mark.parametrize(("library", "built_with"), [("scikit-learn", "0.24.2"), ("features", "0")])
def test_refuses_other_library_or_feature_versions(model_store, library, built_with):
    version = model_store.active_version()
    _rewrite_manifest(model_store, version, lambda m: m["libraries"].update({library: built_with}))
    with pytest.raises(ModelLoadError, match=re.escape(f"{library} {built_with}")):
        model_store.load(version)


@pytest.mark.parametrize("version", ["../../etc", "20261129T000000Z-deadbeef", "", "ACTIVE"])
def test_loads_only_versions_inside_the_store(model_store, version):
    with pytest.raises(ModelLoadError):
        model_store.load(version)


def test_activate_checks_the_version_loads(model_store):
    with pytest.raises(ModelLoadError):
        model_store.activate("20261129T000000Z-deadbeef")
    assert model_store.active_version() is not None


def test_direct_scoring_matches_scikit_learn(loaded, small_examples):
    fields = [e.fields() for e in small_examples[:200]]
    direct = loaded.model.score_many(fields, explain=False)
    reference = loaded.model.probabilities(fields)
    assert np.allclose([s.spam for s in direct], reference["spam"], atol=1e-6)
    assert np.allclose([s.toxicity for s in direct], reference["toxicity"], atol=1e-6)


def test_toxicity_ignores_who_wrote_it(loaded):
    comment = {"comment": "Thanks for the clear explanation of the tax changes.", "url": ""}
    a = loaded.model.score({**comment, "name": "Jo", "email": "jo@gmail.com"})
    b = loaded.model.score({**comment, "name": "Best Cheap Loans", "email": "x@loans.top"})
    assert a.toxicity == pytest.approx(b.toxicity)
    assert b.spam > a.spam


NBSP = "\u00a0"
SPAM_FORMS = [
    # (fields, signals that must fire)
    ({"comment": f"Delta Airlines customer service number 1-888-555-0123\n\nCall the Delta Airlines customer service "
                 f"number 1-888-555-0123 now{NBSP * 4}\n\nDelta Airlines customer service number 1-888-555-0123",
      "name": "Delta Airlines Support"},
     {"phone_repeated", "phone_toll_free", "support_phrases", "keyword_phrase_share", "nbsp_runs",
      "short_paragraphs", "name_keyword_phrase"}),
    ({"comment": "Great post, thanks. plumber in casablanca", "name": "plumber in casablanca"},
     {"name_keyword_phrase", "name_in_comment"}),
    ({"comment": "Very informative, thanks for sharing.", "name": "Essay Writing Service UK"},
     {"name_keyword_phrase"}),
    ({"comment": "hello admin", "name": "john1987"}, {"near_empty"}),
    ({"comment": "The flood hotline is 0800 555 0100 and the council answered within minutes, to be fair.",
      "name": "Tom Harris"}, set()),
    ({"comment": "My photos of the flooded street: https://photos.example.com/tom The drains were blocked.",
      "name": "Tom", "url": "https://tom.example.com"}, set()),
]
FORM_SIGNALS = {"phone_repeated", "phone_toll_free", "support_phrases", "keyword_phrase_share", "nbsp_runs",
                "short_paragraphs", "name_keyword_phrase", "name_in_comment", "near_empty"}


@pytest.mark.parametrize(("fields", "expected"), SPAM_FORMS, ids=range(len(SPAM_FORMS)))
def test_signals_of_the_shapes_blog_spam_takes(fields, expected):
    assert set(extract_signals(prepare(fields))) & FORM_SIGNALS == expected


def test_spam_without_links_leaves_out_only_what_says_there_is_a_link(loaded):
    plain, linked = loaded.model.score_many([
        {"comment": "The drains on our street were blocked again this morning.", "name": "Tom"},
        {"comment": "The drains on our street were blocked again: https://photos.example.com/tom/flood",
         "name": "Tom", "url": "https://tom.example.com"}], explain=False)
    assert plain.spam_without_links == pytest.approx(plain.spam)
    assert linked.spam_without_links < linked.spam


def test_many_labels_choose_c_on_a_sample_and_still_rank_well(monkeypatch, small_examples):
    # Above SEARCH_ROWS examples C is chosen on a sample and calibrated in 3 folds (what 100,000 labels take);
    # a lower limit takes that path with the small set.
    monkeypatch.setattr("model.classifier.SEARCH_ROWS", 600)
    result = train_model(small_examples)
    for label in ("spam", "toxicity"):
        _, probabilities = result.out_of_fold[label]
        assert not np.isnan(probabilities).any()
        assert result.metrics["regularization_c"][label] in C_GRID
        assert result.metrics["out_of_fold"][label]["roc_auc"] > 0.85
