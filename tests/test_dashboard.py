"""The moderators' dashboard through Flask's test client: sign-in, sessions, CSRF, every page and action, and the
escaping of hostile comment text. The browser tests (tests/browser) cover the script, the keyboard and the CSP."""

from __future__ import annotations

import re

import pytest

from moderation.keys import create_key, revoke_key
from service import create_app
from tests.conftest import MODERATOR_KEY, SITE_KEY

# Every comment is held for spam; toxic ones are flagged for toxicity too, with the words the model blamed.
HOLD_ALL = {"spam": {"hold_at": 0.0, "reject_at": 1.0}, "toxicity": {"hold_at": 0.5, "reject_at": 1.0}}
CIVIL = {"name": "Ann", "email": "ann@gmail.com", "comment": "The new library opening hours are a good idea.",
         "article_id": "library-hours", "article_url": "https://news.example.org/library"}
TOXIC = {"name": "Rick", "email": "rick@gmail.com", "comment": "Shut up you stupid fucking idiot, nobody cares"}
HOSTILE = {"name": "<b onmouseover=alert(1)>Mallory</b>", "email": "mallory@gmail.com",
           "comment": "<script>alert('x')</script><img src=x onerror=alert(1)> \"quoted\" & done"}
PAGES = ["/moderate/queue", "/moderate/rules", "/moderate/models", "/moderate/stats",
         "/moderate/author?email=ann@gmail.com"]
ACTIONS = ["/moderate/comments/x/review", "/moderate/comments/x/undo", "/moderate/queue/bulk",
           "/moderate/rules/settings", "/moderate/rules/shadow", "/moderate/rules/entries",
           "/moderate/rules/entries/1/delete", "/moderate/models/train", "/moderate/models/v/activate",
           "/moderate/sign-out"]


@pytest.fixture
def holding_app(app_config):
    """An app that holds every comment, and runs no training process (the browser tests run one)."""
    return create_app({**app_config, "THRESHOLDS": HOLD_ALL, "RUN_JOBS": False})


@pytest.fixture
def browser(holding_app):
    """A test client with a cookie jar, not signed in."""
    return holding_app.test_client()


def token_of(response) -> str:
    """The CSRF token a page carries in its meta tag."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, key: str = MODERATOR_KEY):
    """Sign in through the form, as a browser does; returns the answer and the sign-in page's CSRF token."""
    token = token_of(client.get("/moderate/sign-in"))
    response = client.post("/moderate/sign-in", data={"key": key, "csrf_token": token})
    return response, token


@pytest.fixture
def moderator(browser):
    """A signed-in browser and the CSRF token of its new session (signing in starts a new one)."""
    response, old_token = sign_in(browser)
    assert response.status_code == 302
    token = token_of(browser.get("/moderate/queue"))
    assert token != old_token
    return browser, token


def submit(client, body) -> str:
    response = client.post("/v1/comments", json=body, headers={"Authorization": f"Bearer {SITE_KEY}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def stored(client, comment_id) -> dict:
    return client.get(f"/v1/comments/{comment_id}", headers={"Authorization": f"Bearer {SITE_KEY}"}).get_json()


def api(client, method, path, **kwargs):
    return getattr(client, method)(path, headers={"Authorization": f"Bearer {MODERATOR_KEY}"}, **kwargs)


def set_cookie_header(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("moderation_session="))


# Signing in, sessions and CSRF.

@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_visitors_to_sign_in(browser, path):
    response = browser.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/moderate/sign-in?next=")


def test_sign_in_with_a_moderator_key_sets_a_strict_http_only_cookie(browser):
    response, _ = sign_in(browser)
    assert response.status_code == 302 and response.headers["Location"] == "/moderate/queue"
    cookie = set_cookie_header(response)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert browser.get("/moderate/queue").status_code == 200


def test_the_cookie_is_secure_over_https(holding_app):
    client = holding_app.test_client()
    token = token_of(client.get("/moderate/sign-in", base_url="https://localhost"))
    response = client.post("/moderate/sign-in", data={"key": MODERATOR_KEY, "csrf_token": token},
                           base_url="https://localhost")
    assert "Secure" in set_cookie_header(response)


@pytest.mark.parametrize("key", [SITE_KEY, "not-a-key", ""])
def test_site_keys_and_unknown_keys_cannot_sign_in(browser, key):
    response, _ = sign_in(browser, key)
    assert response.status_code == 401
    assert "That is not a moderator key." in response.get_data(as_text=True)
    assert browser.get("/moderate/queue").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_and_never_to_another_site(browser):
    token = token_of(browser.get("/moderate/sign-in"))
    response = browser.post("/moderate/sign-in", data={"key": MODERATOR_KEY, "csrf_token": token,
                                                       "next": "/moderate/rules"})
    assert response.headers["Location"] == "/moderate/rules"
    for target in ("https://evil.example/", "//evil.example/moderate", "/v1/queue"):
        # Signing in starts a new session, with a new token.
        token = token_of(browser.get("/moderate/sign-in"))
        response = browser.post("/moderate/sign-in", data={"key": MODERATOR_KEY, "csrf_token": token,
                                                           "next": target})
        assert response.headers["Location"] == "/moderate/queue", target


@pytest.mark.parametrize("path", ACTIONS)
def test_every_form_without_its_csrf_token_is_refused(moderator, path):
    client, _ = moderator
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(path, data=data)
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert "CSRF" in response.get_json()["detail"]


def test_sign_in_form_itself_needs_its_csrf_token(browser):
    browser.get("/moderate/sign-in")
    response = browser.post("/moderate/sign-in", data={"key": MODERATOR_KEY})
    assert response.status_code == 400
    assert browser.get("/moderate/queue").status_code == 302


def test_a_refused_review_changes_nothing(moderator):
    client, _ = moderator
    comment_id = submit(client, CIVIL)
    assert client.post(f"/moderate/comments/{comment_id}/review", data={"action": "approve"}).status_code == 400
    assert stored(client, comment_id)["status"] == "held"


def test_sign_out_ends_the_session(moderator):
    client, token = moderator
    response = client.post("/moderate/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/moderate/queue").status_code == 302


def test_a_revoked_key_ends_its_sessions(holding_app):
    database = holding_app.extensions["moderation.database"]
    secret, info = create_key(database, "moderator", actor="test")
    client = holding_app.test_client()
    assert sign_in(client, secret)[0].status_code == 302
    assert client.get("/moderate/queue").status_code == 200
    revoke_key(database, info.id, actor="test")
    assert client.get("/moderate/queue").status_code == 302


def test_the_script_gets_a_401_problem_when_the_session_is_gone(browser):
    token = token_of(browser.get("/moderate/sign-in"))
    response = browser.post("/moderate/comments/x/review", data={"action": "approve", "csrf_token": token},
                            headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


# Headers and escaping.

@pytest.mark.parametrize("path", PAGES)
def test_pages_forbid_inline_script_and_carry_none(moderator, path):
    client, _ = moderator
    submit(client, HOSTILE)
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<[^>]+\son\w+\s*=", html) == []
    assert " style=" not in html


def test_hostile_comment_text_and_names_are_escaped(moderator):
    client, _ = moderator
    comment_id = submit(client, HOSTILE)
    for path in ("/moderate/queue", f"/moderate/author?email={HOSTILE['email']}"):
        html = client.get(path).get_data(as_text=True)
        assert comment_id in html
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;b onmouseover=alert(1)&gt;Mallory&lt;/b&gt;" in html


# The queue.

def test_queue_shows_author_article_time_scores_reasons_and_blamed_words(moderator):
    client, _ = moderator
    submit(client, CIVIL)
    toxic_id = submit(client, TOXIC)
    html = client.get("/moderate/queue").get_data(as_text=True)
    card = html[html.index(f'id="comment-{toxic_id}"'):]
    card = card[:card.index("</article>")]
    assert "Rick" in card and "rick@gmail.com" in card and "/moderate/author?email=rick@gmail.com" in card
    assert "<time datetime=" in card
    assert "model_toxicity" in card and "model_spam" in card
    assert re.search(r'<rect class="fill high" width="[\d.]+"', card)
    assert re.search(r"<mark>(idiot|stupid|fucking)</mark>", card, re.IGNORECASE)
    assert 'href="https://news.example.org/library"' in html and "library-hours" in html


def test_queue_filters_and_orders_as_the_api_does(moderator):
    client, _ = moderator
    submit(client, CIVIL)
    submit(client, TOXIC)
    submit(client, {**CIVIL, "email": "bob@gmail.com", "comment": "Buy cheap pills now at our shop today"})
    for params in ("", "order=oldest", "order=uncertain", "label=toxicity", "email=ann@gmail.com",
                   "article_id=library-hours"):
        expected = [item["id"] for item in api(client, "get", f"/v1/queue?{params}").get_json()["items"]]
        html = client.get(f"/moderate/queue?{params}").get_data(as_text=True)
        assert re.findall(r'<article class="card" id="comment-(\w+)"', html) == expected, params


def test_queue_refuses_bad_filters_with_422(moderator):
    client, _ = moderator
    response = client.get("/moderate/queue?order=sideways&cursor=nonsense")
    assert response.status_code == 422
    assert "order" in response.get_data(as_text=True)


def test_more_cards_come_as_a_fragment_for_the_next_page(moderator):
    client, _ = moderator
    ids = [submit(client, {**CIVIL, "email": f"reader{n}@gmail.com", "comment": f"Reader {n} agrees with the plan."})
           for n in range(23)]
    html = client.get("/moderate/queue").get_data(as_text=True)
    first = re.findall(r'<article class="card" id="comment-(\w+)"', html)
    more = re.search(r'data-more-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    fragment = client.get(more)
    assert fragment.status_code == 200
    second = re.findall(r'<article class="card" id="comment-(\w+)"', fragment.get_data(as_text=True))
    assert len(first) == 20 and len(second) == 3
    assert sorted(first + second) == sorted(ids)
    assert "<html" not in fragment.get_data(as_text=True)


@pytest.mark.parametrize(("action", "status", "labels"), [
    ("approve", "accepted", {"spam": False, "toxic": False}),
    ("reject", "rejected", {"spam": True, "toxic": True}),
    ("spam", "rejected", {"spam": True, "toxic": False}),
    ("toxic", "rejected", {"spam": False, "toxic": True}),
])
def test_one_key_reviews(moderator, action, status, labels):
    client, token = moderator
    comment_id = submit(client, TOXIC)
    response = client.post(f"/moderate/comments/{comment_id}/review", data={"action": action, "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["status"] == status
    review = stored(client, comment_id)["review"]
    assert stored(client, comment_id)["status"] == status
    assert {k: review["labels"][k] for k in ("spam", "toxic")} == labels
    assert review["by"] == f"moderator-{__import__('hashlib').sha256(MODERATOR_KEY.encode()).hexdigest()[:10]}"


def test_a_review_without_the_script_redirects_back_to_the_queue(moderator):
    client, token = moderator
    comment_id = submit(client, CIVIL)
    response = client.post(f"/moderate/comments/{comment_id}/review",
                           data={"action": "approve", "csrf_token": token, "order": "oldest"})
    assert response.status_code == 302 and response.headers["Location"] == "/moderate/queue?order=oldest"
    assert "Comment accepted." in client.get("/moderate/queue").get_data(as_text=True)


@pytest.mark.parametrize(("path", "data", "status"), [
    ("/moderate/comments/{id}/review", {"action": "delete"}, 422),
    ("/moderate/comments/nope/review", {"action": "approve"}, 404),
    ("/moderate/comments/nope/undo", {}, 404),
    ("/moderate/comments/{id}/undo", {}, 409),
    ("/moderate/queue/bulk", {"action": "approve"}, 422),
    ("/moderate/queue/bulk", {"action": "spam", "ids": "{id}"}, 422),
])
def test_bad_actions_are_problems_not_crashes(moderator, path, data, status):
    client, token = moderator
    comment_id = submit(client, CIVIL)
    data = {k: v.replace("{id}", comment_id) for k, v in data.items()}
    response = client.post(path.replace("{id}", comment_id), data={**data, "csrf_token": token})
    assert response.status_code == status and response.mimetype == "application/problem+json"


def test_undo_puts_the_comment_back_and_is_audited(moderator):
    client, token = moderator
    comment_id = submit(client, TOXIC)
    client.post(f"/moderate/comments/{comment_id}/review", data={"action": "toxic", "csrf_token": token})
    response = client.post(f"/moderate/comments/{comment_id}/undo", data={"csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["status"] == "held"
    comment = stored(client, comment_id)
    assert comment["status"] == "held" and comment["review"] is None
    actions = [e["action"] for e in api(client, "get", f"/v1/audit?target={comment_id}").get_json()["events"]]
    assert actions == ["comment.review_undo", "comment.review"]
    assert comment_id in client.get("/moderate/queue").get_data(as_text=True)


def test_undo_withdraws_the_review_label_from_training(moderator):
    client, token = moderator
    comment_id = submit(client, TOXIC)
    before = client.get("/moderate/models").get_data(as_text=True)
    client.post(f"/moderate/comments/{comment_id}/review", data={"action": "toxic", "csrf_token": token})
    assert "review 1" in client.get("/moderate/models").get_data(as_text=True)
    client.post(f"/moderate/comments/{comment_id}/undo", data={"csrf_token": token})
    assert "review 1" not in client.get("/moderate/models").get_data(as_text=True)
    assert "review" not in before.split("Labels since")[1].split("</p>")[0]


@pytest.mark.parametrize(("action", "status"), [("approve", "accepted"), ("reject", "rejected")])
def test_bulk_actions(moderator, action, status):
    client, token = moderator
    chosen = [submit(client, CIVIL), submit(client, TOXIC)]
    other = submit(client, {**CIVIL, "email": "other@gmail.com"})
    response = client.post("/moderate/queue/bulk", data={"action": action, "ids": chosen, "csrf_token": token})
    assert response.status_code == 302
    assert [stored(client, i)["status"] for i in chosen] == [status, status]
    assert stored(client, other)["status"] == "held"


# Authors.

def test_author_page_shows_comments_decisions_and_trust_and_block(moderator):
    client, token = moderator
    first = submit(client, CIVIL)
    second = submit(client, {**CIVIL, "comment": "And the reading room should open on Sundays."})
    client.post(f"/moderate/comments/{first}/review", data={"action": "approve", "csrf_token": token})
    html = client.get("/moderate/author?email=ann@gmail.com").get_data(as_text=True)
    assert first in html and second in html
    assert "1 accepted, 1 held, 0 rejected" in html
    assert "approve by moderator-" in html
    for action in ("trust", "block"):
        response = client.post("/moderate/rules/entries", data={
            "kind": "author", "match": "email", "action": action, "value": "ann@gmail.com", "back": "author",
            "email": "ann@gmail.com", "csrf_token": token})
        assert response.headers["Location"] == "/moderate/author?email=ann@gmail.com"
    entries = api(client, "get", "/v1/rules").get_json()["entries"]
    assert {(e["action"], e["value"]) for e in entries} == {("trust", "ann@gmail.com"), ("block", "ann@gmail.com")}
    html = client.get("/moderate/author?email=ann@gmail.com").get_data(as_text=True)
    assert html.count("/delete") == 2
    client.post(f"/moderate/rules/entries/{entries[0]['id']}/delete",
                data={"csrf_token": token, "back": "author", "email": "ann@gmail.com"})
    assert len(api(client, "get", "/v1/rules").get_json()["entries"]) == 1


def test_author_page_needs_an_email(moderator):
    client, _ = moderator
    assert client.get("/moderate/author").status_code == 422


# Rules.

def test_a_word_added_on_the_rules_page_blocks_new_comments(moderator):
    client, token = moderator
    response = client.post("/moderate/rules/entries", data={
        "kind": "word", "action": "block", "value": "turnip", "match": "word", "csrf_token": token})
    assert response.status_code == 302
    response = client.post("/v1/comments", json={**CIVIL, "comment": "Vote for the turnip party"},
                           headers={"Authorization": f"Bearer {SITE_KEY}"})
    assert response.get_json()["decision"] == "reject"
    assert "word_block" in [r["code"] for r in response.get_json()["reasons"]]
    html = client.get("/moderate/rules").get_data(as_text=True)
    assert "<code>turnip</code>" in html and "rules.add" in html


def test_settings_form_changes_only_what_changed_and_the_audit_shows_who(moderator):
    client, token = moderator
    page = client.get("/moderate/rules").get_data(as_text=True)
    assert 'name="max_links" value="2"' in page
    form = {"csrf_token": token, "max_links": "5", "first_post_link_hold": "on", "trusted_after": "3",
            "trusted_leniency": "0.15", "duplicate_window_minutes": "60", "near_duplicate_similarity": "0.7",
            "near_duplicate_days": "7", "flood_per_minute": "5", "flood_action": "hold", "honeypot_field": ""}
    assert client.post("/moderate/rules/settings", data=form).status_code == 302
    assert api(client, "get", "/v1/rules").get_json()["settings"]["max_links"] == 5
    events = api(client, "get", "/v1/audit").get_json()["events"]
    assert events[0]["action"] == "rules.settings" and events[0]["details"] == {"max_links": 5}
    html = client.get("/moderate/rules").get_data(as_text=True)
    assert "rules.settings" in html and events[0]["actor"] in html
    # An unticked checkbox turns the setting off.
    client.post("/moderate/rules/settings", data={k: v for k, v in form.items() if k != "first_post_link_hold"})
    assert api(client, "get", "/v1/rules").get_json()["settings"]["first_post_link_hold"] is False


def test_invalid_settings_are_shown_not_saved(moderator):
    client, token = moderator
    response = client.post("/moderate/rules/settings", data={"csrf_token": token, "max_links": "many"})
    assert response.status_code == 422 and "max_links" in response.get_data(as_text=True)
    assert api(client, "get", "/v1/rules").get_json()["settings"]["max_links"] == 2


def test_shadow_toggles(moderator):
    client, token = moderator
    client.post("/moderate/rules/shadow", data={"code": "word_block", "shadow": "on", "csrf_token": token})
    assert api(client, "get", "/v1/rules").get_json()["settings"]["shadow"] == ["word_block"]
    client.post("/moderate/rules/entries", data={"kind": "word", "action": "block", "value": "turnip",
                                                 "csrf_token": token})
    decided = client.post("/v1/comments", json={**CIVIL, "comment": "Vote for the turnip party"},
                          headers={"Authorization": f"Bearer {SITE_KEY}"}).get_json()
    assert decided["decision"] != "reject"
    assert [r["shadow"] for r in decided["reasons"] if r["code"] == "word_block"] == [True]
    client.post("/moderate/rules/shadow", data={"code": "word_block", "csrf_token": token})
    assert api(client, "get", "/v1/rules").get_json()["settings"]["shadow"] == []
    assert client.post("/moderate/rules/shadow", data={"code": "nonsense", "csrf_token": token}).status_code == 422


def test_invalid_entries_are_refused(moderator):
    client, token = moderator
    response = client.post("/moderate/rules/entries", data={"kind": "author", "action": "block", "match": "ip",
                                                            "value": "not an ip", "csrf_token": token})
    assert response.status_code == 422
    assert api(client, "get", "/v1/rules").get_json()["entries"] == []
    assert client.post("/moderate/rules/entries/999/delete", data={"csrf_token": token}).status_code == 404


# Models.

def test_models_page_lists_versions_with_metrics_and_activates_and_rolls_back(moderator, model_store):
    client, token = moderator
    versions = [m["version"] for m in model_store.versions()]
    active = model_store.active_version()
    other = next(v for v in versions if v != active)
    html = client.get("/moderate/models").get_data(as_text=True)
    assert all(v in html for v in versions) and "ROC-AUC" in html
    assert 'id="rollback"' not in html
    response = client.post(f"/moderate/models/{other}/activate", data={"csrf_token": token})
    assert response.status_code == 302
    assert api(client, "get", "/v1/models").get_json()["active_version"] == other
    html = client.get("/moderate/models").get_data(as_text=True)
    assert f"Roll back to {active}" in html
    client.post(f"/moderate/models/{active}/activate", data={"csrf_token": token})
    assert api(client, "get", "/v1/models").get_json()["active_version"] == active
    assert client.post("/moderate/models/nope/activate", data={"csrf_token": token}).status_code == 404


def test_retrain_queues_a_job_the_page_follows(moderator):
    client, token = moderator
    response = client.post("/moderate/models/train", data={"csrf_token": token, "activate": "on"})
    assert response.status_code == 302
    job_id = re.search(r"job=(\w+)", response.headers["Location"]).group(1)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-url="/moderate/jobs/{job_id}"' in html and 'data-status="queued"' in html
    state = client.get(f"/moderate/jobs/{job_id}").get_json()
    assert state["status"] == "queued"
    assert api(client, "get", f"/v1/jobs/{job_id}").get_json()["request"] == {"activate": True}
    assert client.get("/moderate/jobs/nope").status_code == 404


def test_labels_since_the_active_model_by_source(moderator):
    client, token = moderator
    comment_id = submit(client, TOXIC)
    client.post(f"/moderate/comments/{comment_id}/review", data={"action": "toxic", "csrf_token": token})
    api(client, "post", "/v1/feedback", json={**CIVIL, "labels": {"spam": False, "toxic": False}})
    html = client.get("/moderate/models").get_data(as_text=True)
    assert '<span class="count">feedback 1</span>' in html and '<span class="count">review 1</span>' in html


# Stats.

def test_stats_page_draws_decisions_and_reasons_live_and_shadow(moderator):
    client, token = moderator
    client.post("/moderate/rules/shadow", data={"code": "first_post_link", "shadow": "on", "csrf_token": token})
    submit(client, CIVIL)
    submit(client, {**CIVIL, "email": "new@gmail.com", "comment": "See https://example.org/report for details"})
    html = client.get("/moderate/stats?days=7").get_data(as_text=True)
    assert html.count('<svg class="chart"') >= 3
    assert re.search(r'<rect class="hold" [^>]*><title>\d{4}-\d\d-\d\d: 2 hold</title>', html)
    assert re.search(r'<rect class="shadow" [^>]*><title>[\d-]+: 1 shadow</title>', html)
    assert "<code>first_post_link</code>" in html
    assert client.get("/moderate/stats?days=0").status_code == 422


def test_thresholds_set_on_the_rules_page_decide_new_comments(client):
    assert sign_in(client)[0].status_code == 302
    token = token_of(client.get("/moderate/rules"))
    page = client.get("/moderate/rules").get_data(as_text=True)
    assert re.search(r'name="spam_hold_at" value="" [^>]*placeholder="model: [\d.]+"', page)
    assert stored_decision(client, CIVIL) == "accept"
    form = {"csrf_token": token, "spam_hold_at": "0", "spam_reject_at": "0.0"}
    assert client.post("/moderate/rules/settings", data=form).status_code == 302
    assert api(client, "get", "/v1/rules").get_json()["settings"]["spam_reject_at"] == 0.0
    assert stored_decision(client, {**CIVIL, "email": "cleo@gmail.com"}) == "reject"
    assert client.post("/moderate/rules/settings", data={**form, "spam_reject_at": ""}).status_code == 422
    client.post("/moderate/rules/settings", data={**form, "spam_hold_at": "", "spam_reject_at": ""})
    # Another text: the rejected one is now spam that near-duplicates would be held for.
    assert stored_decision(client, {**CIVIL, "email": "dora@gmail.com",
                                    "comment": "Longer opening hours would help students a lot."}) == "accept"


def stored_decision(client, body) -> str:
    response = client.post("/v1/comments", json=body, headers={"Authorization": f"Bearer {SITE_KEY}"})
    return response.get_json()["decision"]


def test_thresholds_pinned_by_configuration_ignore_the_moderators(moderator):
    client, token = moderator
    form = {"csrf_token": token, "spam_hold_at": "0.9", "spam_reject_at": "0.95"}
    assert client.post("/moderate/rules/settings", data=form).status_code == 302
    assert "ignored: the configuration pins the spam thresholds" in client.get("/moderate/rules").get_data(as_text=True)
    # HOLD_ALL pins spam at hold 0: every comment is still held.
    assert stored_decision(client, CIVIL) == "hold"
