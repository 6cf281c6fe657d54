"""The Akismet front end, driven by the real `akismet` client over WSGI, and a WordPress-style round trip."""

from __future__ import annotations

import akismet
import httpx
import pytest

from service.api.akismet import ANONYMOUS_DOMAIN
from tests.conftest import MODERATOR_KEY, SITE_KEY
from tests.test_models_api import wait_for_job

BLOG = "http://blog.example.org"
IP = "203.0.113.7"
CIVIL = {"comment_author": "Ann Reader", "comment_author_email": "ann.reader@gmail.com", "comment_type": "comment",
         "comment_content": "The council should publish the full budget before the vote."}
SPAM = {"comment_author": "Best Cheap Loans Online", "comment_author_email": "offers@quickcash.top",
        "comment_author_url": "http://quickcash.top", "comment_type": "comment",
        "comment_content": "Great article!! Get instant loans with no credit check at quickcash.top, "
                           "call +1 888 555 0199"}


class Recorder:
    """The last response the client received, for the headers the client does not return."""

    response: httpx.Response | None = None

    def __call__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def guid(self) -> str:
        return self.response.headers["X-akismet-guid"]


def make_client(app, key: str = SITE_KEY, recorder: Recorder | None = None) -> akismet.SyncClient:
    http = httpx.Client(transport=httpx.WSGITransport(app=app), event_hooks={"response": [recorder or Recorder()]})
    return akismet.SyncClient(config=akismet.Config(key=key, url=BLOG), http_client=http)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def wordpress(app, recorder):
    client = make_client(app, recorder=recorder)
    yield client
    client._http_client.close()


def post_form(client, endpoint, **form):
    return client.post(f"/1.1/{endpoint}", data={"api_key": SITE_KEY, "blog": BLOG, "user_ip": IP, **form})


def stored(client, guid):
    response = client.get(f"/v1/comments/{guid}", headers={"Authorization": f"Bearer {SITE_KEY}"})
    assert response.status_code == 200
    return response.get_json()


def label_events(client, moderator_headers):
    events = client.get("/v1/audit", headers=moderator_headers).get_json()["events"]
    return [e["details"] for e in events if e["action"] == "label.report"]


@pytest.mark.parametrize(("key", "valid"), [(SITE_KEY, True), (MODERATOR_KEY, True), ("not-a-key", False)])
def test_verify_key(app, key, valid):
    assert make_client(app, key).verify_key() is valid


def test_civil_comment_is_ham_and_stored(client, wordpress, recorder):
    assert wordpress.comment_check(IP, **CIVIL) == akismet.CheckResponse.HAM
    comment = stored(client, recorder.guid)
    assert comment["decision"] == "accept"
    assert (comment["name"], comment["email"], comment["ip"]) == ("Ann Reader", "ann.reader@gmail.com", IP)


def test_obvious_spam_is_spam(client, wordpress, recorder):
    verdict = wordpress.comment_check(IP, **SPAM)
    assert verdict in (akismet.CheckResponse.SPAM, akismet.CheckResponse.DISCARD)
    decision = stored(client, recorder.guid)["decision"]
    assert verdict == (akismet.CheckResponse.DISCARD if decision == "reject" else akismet.CheckResponse.SPAM)


@pytest.mark.parametrize(
    ("change", "verdict", "forced"),
    [
        ({"comment_author": "viagra-test-123"}, akismet.CheckResponse.DISCARD, "spam"),
        ({"comment_author": "akismet-guaranteed-spam"}, akismet.CheckResponse.DISCARD, "spam"),
        ({"comment_author_email": "akismet-guaranteed-spam@example.com"}, akismet.CheckResponse.DISCARD, "spam"),
        ({**SPAM, "user_role": "administrator"}, akismet.CheckResponse.HAM, "ham"),
    ],
)
def test_akismet_test_values_force_the_verdict_and_are_stored(client, wordpress, recorder, change, verdict, forced):
    assert wordpress.comment_check(IP, **{**CIVIL, **change}) == verdict
    reasons = stored(client, recorder.guid)["reasons"]
    assert reasons[0]["code"] == "test_value" and reasons[0]["forced"] == forced


@pytest.mark.parametrize(("trap", "answer"), [("I am a bot", "true"), ("", "false")])
def test_honeypot_field_named_by_the_request(client, trap, answer):
    # The client refuses fields it does not know, so the trap field goes in as a plain form.
    response = post_form(client, "comment-check", **CIVIL, honeypot_field_name="hp_field", hp_field=trap)
    assert response.text == answer
    assert stored(client, response.headers["X-akismet-guid"])["status"] == ("rejected" if trap else "accepted")


def test_unknown_fields_are_ignored(client):
    response = post_form(client, "comment-check", **CIVIL, comment_post_ID="17", wp_nonce="x", blog_lang="en_GB")
    assert (response.status_code, response.text) == (200, "false")


@pytest.mark.parametrize("call", ["comment_check", "submit_spam", "submit_ham"])
def test_a_bad_key_raises_the_clients_api_key_error(app, call):
    with pytest.raises(akismet.APIKeyError):
        getattr(make_client(app, "not-a-key"), call)(IP, **CIVIL)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"comment_content": ""}, "comment_content"), ({"comment_content": " \n "}, "comment_content"),
     ({"comment_author": "x" * 101}, "comment_author")],
)
def test_an_unusable_comment_is_invalid_with_debug_help(client, change, field):
    response = post_form(client, "comment-check", **{**CIVIL, **change})
    assert (response.status_code, response.mimetype, response.text) == (200, "text/plain", "invalid")
    assert response.headers["X-akismet-debug-help"].startswith(f"{field}:")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"comment_author": ""}, {"name": "Anonymous", "email": "ann.reader@gmail.com"}),
        ({"comment_author_email": ""}, {"email_domain": ANONYMOUS_DOMAIN}),
        ({"comment_author_email": "not an address"}, {"email_domain": ANONYMOUS_DOMAIN}),
        ({"comment_author_url": "example.com/me", "permalink": "not a url", "referrer": "javascript:x"},
         {"url": "", "article_url": "", "referrer": ""}),
        ({"comment_author_url": "https://ann.example.org", "permalink": f"{BLOG}/2026/budget"},
         {"url": "https://ann.example.org", "article_url": f"{BLOG}/2026/budget"}),
    ],
)
def test_fields_akismet_allows_to_be_missing_or_odd_get_fallbacks(client, change, expected):
    response = post_form(client, "comment-check", **{**CIVIL, **change})
    comment = stored(client, response.headers["X-akismet-guid"])
    if "email_domain" in expected:
        assert comment["email"].endswith("@" + expected.pop("email_domain"))
    assert {key: comment[key] for key in expected} == expected


def test_anonymous_commenters_are_told_apart_by_ip(client):
    def email(ip):
        response = post_form(client, "comment-check", **{**CIVIL, "comment_author_email": ""}, user_ip=ip)
        return stored(client, response.headers["X-akismet-guid"])["email"]

    first = email("198.51.100.1")
    assert email("198.51.100.1") == first != email("198.51.100.2")
    assert not any(ch.isdigit() for ch in first.split("@")[0])


@pytest.mark.parametrize(("submit", "spam"), [("submit_spam", True), ("submit_ham", False)])
def test_submissions_are_audited_reports_on_spam_alone(client, wordpress, moderator_headers, submit, spam):
    assert getattr(wordpress, submit)(IP, **CIVIL) is True
    [details] = label_events(client, moderator_headers)
    # "Not spam" says nothing about toxicity: it stays unknown.
    assert details == {"source": "akismet", "spam": spam, "toxic": None, "category": None, "comment_id": None,
                       "status_changed": False}


def test_a_submission_attaches_to_the_checked_comment(client, wordpress, recorder, moderator_headers):
    wordpress.comment_check(IP, **CIVIL)
    guid = recorder.guid
    assert wordpress.submit_spam(IP, **CIVIL) is True
    [details] = label_events(client, moderator_headers)
    assert details["comment_id"] == guid


@pytest.mark.parametrize(("form", "submit", "status"),
                         [(SPAM, "submit_ham", "accepted"), (CIVIL, "submit_spam", "rejected")])
def test_a_submission_moves_the_comment_to_what_it_means(client, wordpress, recorder, form, submit, status):
    wordpress.comment_check(IP, **form)
    guid = recorder.guid
    assert getattr(wordpress, submit)(IP, **form) is True
    assert stored(client, guid)["status"] == status


def test_a_submission_never_overrules_a_moderator(client, wordpress, recorder, moderator_headers):
    wordpress.comment_check(IP, **SPAM)
    guid = recorder.guid
    review = {"action": "reject", "labels": {"spam": True, "toxic": False}}
    assert client.post(f"/v1/comments/{guid}/review", json=review, headers=moderator_headers).status_code == 200
    assert wordpress.submit_ham(IP, **SPAM) is True
    comment = stored(client, guid)
    assert comment["status"] == "rejected" and comment["review"]["labels"]["spam"] is True
    assert label_events(client, moderator_headers)[0]["status_changed"] is False


def test_test_submissions_store_no_label(client, wordpress, moderator_headers):
    assert wordpress.submit_spam(IP, **CIVIL, is_test=True) is True
    assert label_events(client, moderator_headers) == []


@pytest.mark.parametrize(
    ("endpoint", "form"),
    [("verify-key", {"key": SITE_KEY}), ("verify-key", {"key": "wrong"}), ("comment-check", CIVIL),
     ("comment-check", {"comment_content": ""}), ("submit-spam", CIVIL), ("submit-ham", {"api_key": "wrong"})],
)
def test_answers_match_the_spec(client, endpoint, form):
    response = post_form(client, endpoint, **form)
    spec = client.get("/openapi.json").get_json()
    declared = spec["paths"][f"/1.1/{endpoint}"]["post"]["responses"]
    reference = declared[str(response.status_code)]["content"]["text/plain"]["schema"]["$ref"]
    assert response.text in spec["components"]["schemas"][reference.rsplit("/", 1)[1]]["enum"]


def test_wordpress_round_trip_trains_on_the_moderators_spam(client, wordpress, recorder, moderator_headers):
    assert wordpress.comment_check(IP, **SPAM, permalink=f"{BLOG}/2026/budget") is not None
    guid = recorder.guid
    review = {"action": "reject", "labels": {"spam": True, "toxic": False}}
    assert client.post(f"/v1/comments/{guid}/review", json=review, headers=moderator_headers).status_code == 200
    assert wordpress.submit_spam(IP, **SPAM, permalink=f"{BLOG}/2026/budget") is True

    response = client.post("/v1/models", json={}, headers=moderator_headers)
    assert response.status_code == 202
    job = wait_for_job(client, moderator_headers, response.get_json()["job"]["id"])
    assert job["status"] == "succeeded", job["error"]
    sources = job["result"]["sources"]
    # The moderator's label, not the site's report on the same comment: a moderator outranks a site.
    assert sources["moderator"] + sources["moderator_held_out"] == 1 and sources["reports"] == 0
