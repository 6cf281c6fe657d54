"""The rules stage, through the HTTP API: every rule, every list type, shadow mode and management."""

from __future__ import annotations

import pytest

from service import create_app
from tests.conftest import failing_fields

# The model never flags anything here, so every decision below is the rules' own.
MODEL_SILENT = {"spam": {"hold_at": 1.0, "reject_at": 1.0}, "toxicity": {"hold_at": 1.0, "reject_at": 1.0}}
BASE = {"name": "Ann", "email": "ann@gmail.com", "comment": "The council meeting is on Tuesday evening."}
FRENCH = "Le conseil municipal doit publier le budget avant le vote de mardi soir."
DARIJA = "wach had l9adiya dyal lma ghadi tbqa hakka? bzaf dyal nas ma3ndhomch lma f lhay"
ARABIC = "يجب على المجلس البلدي نشر الميزانية قبل التصويت يوم الثلاثاء"


@pytest.fixture
def rules_client(app_config):
    return create_app({**app_config, "THRESHOLDS": MODEL_SILENT}).test_client()


@pytest.fixture
def configure(rules_client, moderator_headers):
    def apply(settings=None, entries=()):
        if settings:
            response = rules_client.patch("/v1/rules/settings", json=settings, headers=moderator_headers)
            assert response.status_code == 200, response.get_json()
        for entry in entries:
            response = rules_client.post("/v1/rules/entries", json=entry, headers=moderator_headers)
            assert response.status_code == 201, response.get_json()

    return apply


def check(client, headers, **fields):
    response = client.post("/v1/comments", json={**BASE, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["decision"], {r["code"]: r for r in body["reasons"]}


CASES = [
    # (rules to apply, comment fields, expected decision, expected rule code or None)
    ({}, {"comment": "See a.org/1, b.org/2 and c.org/3 for more"}, "hold", "too_many_links"),
    ({"settings": {"max_links": 5}}, {"comment": "See a.org/1, b.org/2 and c.org/3 for more"}, "accept", None),
    ({"entries": [{"kind": "domain", "action": "allow", "value": "a.org"}]},
     {"comment": "See a.org/1, a.org/2 and c.org/3 for more"}, "accept", None),
    ({"entries": [{"kind": "domain", "action": "block", "value": "https://www.badsite.xyz"}]},
     {"comment": "great deals at shop.badsite.xyz/offer"}, "reject", "domain_blocked"),
    ({"entries": [{"kind": "domain", "action": "block", "value": "badsite.xyz"}]},
     {"url": "http://badsite.xyz"}, "reject", "domain_blocked"),
    ({"entries": [{"kind": "word", "action": "block", "value": "frobnicate"}]},
     {"comment": "We should FROBNICATE them all"}, "reject", "word_block"),
    ({"entries": [{"kind": "word", "action": "block", "value": "frobnicate"}]},
     {"comment": "We should fr0bn1cate them all"}, "reject", "word_block"),
    ({"entries": [{"kind": "word", "action": "block", "value": "frobnicate"}]},
     {"comment": "We should frobnícate them all"}, "reject", "word_block"),
    ({"entries": [{"kind": "word", "action": "block", "value": "frobnicate"}]},
     {"comment": "They frobnicated the report"}, "accept", None),
    ({"entries": [{"kind": "word", "action": "block", "value": "frobnic", "match": "substring"}]},
     {"comment": "They frobnicated the report"}, "reject", "word_block"),
    ({"entries": [{"kind": "word", "action": "hold", "value": "shut it down"}]},
     {"comment": "Just shut   it down now"}, "hold", "word_hold"),
    ({"entries": [{"kind": "word", "action": "hold", "value": "shut it down"}]},
     {"comment": "Just shut it, down now"}, "accept", None),
    ({"entries": [{"kind": "word", "action": "hold", "value": "frobnicator's can't"}]},
     {"comment": "The frobnicator\u2019s cannot"}, "hold", "word_hold"),  # contractions read alike on both sides
    ({"entries": [{"kind": "word", "action": "hold", "value": "frobnicator's"}]},
     {"comment": "The frobnicator said so"}, "accept", None),
    ({"entries": [{"kind": "word", "action": "block", "value": "cunt", "match": "substring"},
                  {"kind": "word", "action": "allow", "value": "Scunthorpe"}]},
     {"comment": "Scunthorpe United won again"}, "accept", None),
    ({"entries": [{"kind": "author", "action": "block", "value": "Ann@Gmail.com"}]}, {}, "reject", "author_blocked"),
    ({"entries": [{"kind": "author", "action": "block", "match": "email_domain", "value": "gmail.com"}]}, {},
     "reject", "author_blocked"),
    ({"entries": [{"kind": "author", "action": "block", "match": "ip", "value": "203.0.113.7"}]},
     {"ip": "203.0.113.7"}, "reject", "author_blocked"),
    ({"entries": [{"kind": "author", "action": "block", "match": "ip_range", "value": "203.0.113.0/24"}]},
     {"ip": "203.0.113.99"}, "reject", "author_blocked"),
    ({"entries": [{"kind": "author", "action": "block", "match": "ip_range", "value": "203.0.113.0/24"}]},
     {"ip": "2001:db8::1"}, "accept", None),
    ({"entries": [{"kind": "author", "action": "trust", "value": "ann@gmail.com"}]}, {}, "accept", "author_trusted"),
    ({"settings": {"honeypot_field": "website2"}}, {"website2": "http://spam.example"}, "reject", "honeypot"),
    ({"settings": {"honeypot_field": "website2"}}, {"website2": ""}, "accept", None),
    # Languages the model was not trained on are held, whatever the scores say.
    ({}, {"comment": FRENCH}, "hold", "unsupported_language"),
    ({}, {"comment": DARIJA}, "hold", "unsupported_language"),
    ({}, {"comment": ARABIC}, "hold", "unsupported_language"),
    ({"settings": {"languages": ["en", "fr"]}}, {"comment": FRENCH}, "accept", None),
    ({"settings": {"unsupported_language": "score"}}, {"comment": DARIJA}, "accept", None),
    ({}, {"comment": "Ok"}, "accept", None),  # too short to tell: scored as usual
]


@pytest.mark.parametrize(("rules", "fields", "decision", "code"), CASES)
def test_rule(rules_client, site_headers, configure, rules, fields, decision, code):
    # Links in these cases come from first-time authors; that rule has a test of its own.
    configure({"first_post_link_hold": False, **rules.get("settings", {})}, rules.get("entries", ()))
    got, reasons = check(rules_client, site_headers, **fields)
    assert got == decision, reasons
    if code:
        assert code in reasons and not reasons[code].get("shadow")
    else:
        assert not {c for c in reasons if not c.startswith("model_")}, reasons


@pytest.mark.parametrize(("comment", "language"), [
    (BASE["comment"], "en"), (FRENCH, "fr"), (DARIJA, "ary"), (ARABIC, "ar"), ("Bravo!", ""),
])
def test_each_comment_stores_its_language(rules_client, site_headers, comment, language):
    response = rules_client.post("/v1/comments", json={**BASE, "comment": comment}, headers=site_headers)
    assert response.status_code == 201
    stored = rules_client.get(response.headers["Location"], headers=site_headers).get_json()
    assert stored["language"] == language


def test_an_unsupported_language_is_not_decided_by_the_model(app_config, site_headers):
    # A model that rejects everything: a French comment is still only held, with the model's reasons as shadows.
    strict = {"spam": {"hold_at": 0.0, "reject_at": 0.0}, "toxicity": {"hold_at": 0.0, "reject_at": 0.0}}
    client = create_app({**app_config, "THRESHOLDS": strict}).test_client()
    decision, reasons = check(client, site_headers, comment=FRENCH)
    assert decision == "hold" and reasons["unsupported_language"]["language"] == "fr"
    assert reasons["model_spam"]["shadow"] and reasons["model_toxicity"]["shadow"]
    assert check(client, site_headers, comment="The council meeting moved to Wednesday evening.")[0] == "reject"


def test_first_post_with_a_link_is_held_later_ones_are_not(rules_client, site_headers):
    assert check(rules_client, site_headers, comment="My report: example.org/report")[0] == "hold"
    check(rules_client, site_headers, email="bob@gmail.com", comment="Plain words, nothing else.")
    decision, reasons = check(rules_client, site_headers, email="bob@gmail.com", comment="Source: example.org/x")
    assert decision == "accept" and "first_post_link" not in reasons


def test_trusted_by_history(rules_client, site_headers, configure):
    configure({"trusted_after": 2})
    for text in ("First civil remark.", "Second civil remark."):
        assert "author_trusted" not in check(rules_client, site_headers, comment=text)[1]
    assert "author_trusted" in check(rules_client, site_headers, comment="Third civil remark.")[1]


def test_trusted_authors_get_lenient_thresholds(app_config, site_headers, moderator_headers):
    strict = {"spam": {"hold_at": 0.0, "reject_at": 0.9}, "toxicity": {"hold_at": 0.9, "reject_at": 0.95}}
    client = create_app({**app_config, "THRESHOLDS": strict}).test_client()
    assert check(client, site_headers)[0] == "hold"
    client.post("/v1/rules/entries", json={"kind": "author", "action": "trust", "value": "ann@gmail.com"},
                headers=moderator_headers)
    client.patch("/v1/rules/settings", json={"trusted_leniency": 0.5}, headers=moderator_headers)
    decision, reasons = check(client, site_headers, comment="Another plain remark about the council.")
    assert "author_trusted" in reasons
    # The spam hold threshold moved from 0.0 to 0.5: the decision now depends on the score alone.
    if "model_spam" in reasons:
        assert reasons["model_spam"]["threshold"] == 0.5 and reasons["model_spam"]["score"] >= 0.5
    else:
        assert decision == "accept" and reasons["model_clean"]["spam"] < 0.5


def test_duplicates_from_the_same_author_are_rejected(rules_client, site_headers):
    assert check(rules_client, site_headers)[0] == "accept"
    decision, reasons = check(rules_client, site_headers, comment="  the COUNCIL meeting is on tuesday evening ")
    assert decision == "reject" and "duplicate" in reasons
    assert check(rules_client, site_headers, email="other@gmail.com")[0] == "accept"


def test_near_duplicate_of_rejected_spam_is_a_spam_signal(rules_client, site_headers, moderator_headers):
    spam = "Earn 500 dollars a day from home with our simple online system, visit now and start today"
    created = rules_client.post("/v1/comments", json={**BASE, "comment": spam}, headers=site_headers).get_json()
    rules_client.post(f"/v1/comments/{created['id']}/review", headers=moderator_headers,
                      json={"action": "reject", "labels": {"spam": True, "toxic": False}})
    variant = spam.replace("500", "700").replace("today", "today!!")
    decision, reasons = check(rules_client, site_headers, email="other@gmail.com", comment=variant)
    assert decision == "hold" and reasons["near_duplicate_spam"]["similar_to"] == created["id"]


@pytest.mark.parametrize(("action", "status"), [("hold", 201), ("429", 429)])
def test_floods_are_held_or_refused(rules_client, site_headers, configure, action, status):
    configure({"flood_per_minute": 2, "flood_action": action})
    for n in range(2):
        check(rules_client, site_headers, email=f"a{n}@gmail.com", ip="198.51.100.4", comment=f"Remark {n}.")
    response = rules_client.post("/v1/comments", headers=site_headers,
                                 json={**BASE, "email": "a9@gmail.com", "ip": "198.51.100.4", "comment": "Remark 9."})
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["decision"] == "hold"
    else:
        assert response.mimetype == "application/problem+json" and "Retry-After" in response.headers


def test_shadow_rules_record_without_deciding(rules_client, site_headers, configure, moderator_headers):
    configure({"shadow": ["word_block"]}, [{"kind": "word", "action": "block", "value": "frobnicate"}])
    decision, reasons = check(rules_client, site_headers, comment="We should frobnicate it")
    assert decision == "accept"
    assert reasons["word_block"]["shadow"] is True and reasons["word_block"]["action"] == "reject"
    stats = rules_client.get("/v1/stats", headers=moderator_headers).get_json()
    assert stats["shadow_reasons"]["word_block:reject"] == 1 and stats["decisions"]["accept"] == 1


def test_shadow_model(client, site_headers, moderator_headers):
    toxic = {"comment": "Shut up you stupid fucking idiot, nobody cares"}
    assert check(client, site_headers, **toxic)[0] != "accept"
    client.patch("/v1/rules/settings", json={"shadow": ["model"]}, headers=moderator_headers)
    decision, reasons = check(client, site_headers, email="x@gmail.com", **toxic)
    assert decision == "accept"
    assert reasons["model_toxicity"]["shadow"] is True


def test_analyze_runs_rules_but_not_history_rules(rules_client, site_headers, configure):
    configure(entries=[{"kind": "word", "action": "block", "value": "frobnicate"}])
    items = [{**BASE, "comment": "frobnicate"}, {**BASE, "comment": "See example.org/a"}]
    results = rules_client.post("/v1/analyze", json={"items": items}, headers=site_headers).get_json()["results"]
    assert [r["decision"] for r in results] == ["reject", "accept"]


def test_management_lists_deletes_and_audits(rules_client, moderator_headers, configure, site_headers):
    configure({"max_links": 4}, [{"kind": "word", "action": "block", "value": "frobnicate", "note": "test"}])
    listing = rules_client.get("/v1/rules", headers=moderator_headers).get_json()
    assert listing["settings"]["max_links"] == 4 and listing["settings"]["flood_per_minute"] == 5
    [entry] = listing["entries"]
    assert rules_client.delete(f"/v1/rules/entries/{entry['id']}", headers=moderator_headers).status_code == 204
    assert rules_client.get("/v1/rules", headers=moderator_headers).get_json()["entries"] == []
    assert check(rules_client, site_headers, comment="frobnicate")[0] == "accept"
    actions = [e["action"] for e in rules_client.get("/v1/audit", headers=moderator_headers).get_json()["events"]]
    assert {"rules.settings", "rules.add", "rules.delete"} <= set(actions)
    assert rules_client.delete("/v1/rules/entries/999", headers=moderator_headers).status_code == 404


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/rules/settings", {"max_links": -1}, "max_links"),
    ("/v1/rules/settings", {"flood_action": "ban"}, "flood_action"),
    ("/v1/rules/settings", {"shadow": ["nonsense"]}, "shadow"),
    ("/v1/rules/settings", {"colour": "red"}, "colour"),
    ("/v1/rules/entries", {"kind": "planet", "action": "block", "value": "x"}, "kind"),
    ("/v1/rules/entries", {"kind": "word", "action": "trust", "value": "x"}, "action"),
    ("/v1/rules/entries", {"kind": "author", "action": "block", "match": "ip", "value": "1.2.3"}, "value"),
    ("/v1/rules/entries", {"kind": "word", "action": "block", "value": ""}, "value"),
])
def test_management_validation(rules_client, moderator_headers, path, body, field):
    method = rules_client.patch if path.endswith("settings") else rules_client.post
    response = method(path, json=body, headers=moderator_headers)
    assert response.status_code == 422 and field in failing_fields(response)


def test_rules_need_a_moderator_key(rules_client, site_headers):
    assert rules_client.get("/v1/rules", headers=site_headers).status_code == 403
