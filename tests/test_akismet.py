"""The Akismet front end, driven by the real `akismet` client over WSGI, and a WordPress-style round trip."""

from __future__ import annotations

import re

import akismet
import httpx
import pytest

from moderation.cli import main
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
    assert (comment["name"], comment["email"]) == ("Ann Reader", "ann.reader@gmail.com")
    assert re.fullmatch(r"[0-9a-f]{32}", comment["ip"]), "the address is stored as a keyed hash"


def test_obvious_spam_is_never_published(client, recorder):
    response = post_form(client, "comment-check", **SPAM)
    decision = stored(client, response.headers["X-akismet-guid"])["decision"]
    assert decision in ("hold", "reject")
    assert response.headers["X-moderation-decision"] == decision
    # A model's reject goes to WordPress's Spam folder (a moderator may still rescue it), never discarded.
    assert response.text == ("true" if decision == "reject" else "false")
    assert "X-akismet-pro-tip" not in response.headers


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


@pytest.mark.parametrize(("trap", "answer"), [("I am a bot", "true"), ("", "false")])
def test_akismets_own_honeypot_field(client, trap, answer):
    # Akismet 5.1+ adds a hidden textarea to the comment form and sends the form's fields prefixed POST_.
    response = post_form(client, "comment-check", **CIVIL, POST_ak_hp_textarea=trap, POST_ak_js="1733450000000")
    assert response.text == answer
    assert (response.headers.get("X-akismet-pro-tip") == "discard") is bool(trap)


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


# What WordPress's Akismet plugin (5.0.2) sends and reads: defects found with a real WordPress.

WORDPRESS_FORM = {"akismet_comment_nonce": "passed", "comment_post_ID": "17", "comment_parent": "0",
                  "permalink": f"{BLOG}/2026/12/budget", "POST_comment_post_ID": "17"}
FIRST_WITH_WEBSITE = {"comment_author": "Ben Okafor", "comment_author_email": "ben.okafor@outlook.com",
                      "comment_author_url": "https://benokafor.net", "comment_type": "comment",
                      "comment_content": "Thanks for explaining how the budget vote works."}


def queue(client, moderator_headers, status):
    response = client.get(f"/v1/queue?status={status}&limit=100", headers=moderator_headers)
    return response.get_json()["items"]


def test_a_hold_is_not_spam_but_says_hold(client):
    """Defect 1: a held comment must become pending in WordPress, not spam."""
    response = post_form(client, "comment-check", **FIRST_WITH_WEBSITE, **WORDPRESS_FORM)
    comment = stored(client, response.headers["X-akismet-guid"])
    assert comment["status"] == "held"
    assert "first_post_link" in {reason["code"] for reason in comment["reasons"]}
    assert (response.text, response.headers["X-moderation-decision"]) == ("false", "hold")
    assert "X-akismet-pro-tip" not in response.headers


def test_an_accepted_comment_says_accept(client):
    response = post_form(client, "comment-check", **CIVIL, **WORDPRESS_FORM)
    assert (response.text, response.headers["X-moderation-decision"]) == ("false", "accept")


@pytest.mark.parametrize(
    ("form", "review", "answer", "decision"),
    [
        (CIVIL, None, "false", "accept"),
        (FIRST_WITH_WEBSITE, None, "false", "hold"),
        (FIRST_WITH_WEBSITE, {"action": "approve", "labels": {"spam": False, "toxic": False}}, "false", "accept"),
        (CIVIL, {"action": "reject", "labels": {"spam": True, "toxic": False}}, "true", "reject"),
    ],
)
def test_check_for_spam_answers_the_current_status_and_stores_nothing(client, moderator_headers, form, review,
                                                                       answer, decision):
    """Defect 2: "Check for Spam" re-sends pending comments; the duplicate rule must not reject them and no
    copy may be stored."""
    first = post_form(client, "comment-check", **form, **WORDPRESS_FORM)
    guid = first.headers["X-akismet-guid"]
    if review:
        assert client.post(f"/v1/comments/{guid}/review", json=review, headers=moderator_headers).status_code == 200
    before = {status: len(queue(client, moderator_headers, status)) for status in ("accepted", "held", "rejected")}
    # What check_db_comment sends: the stored row (unslashed, no nonce), with recheck_reason, twice.
    recheck = {**form, "comment_post_ID": "17", "permalink": f"{BLOG}/2026/12/budget",
               "recheck_reason": "recheck_queue"}
    for _ in range(2):
        response = post_form(client, "comment-check", **recheck)
        assert (response.text, response.headers["X-moderation-decision"]) == (answer, decision)
        assert response.headers["X-akismet-guid"] == guid
    after = {status: len(queue(client, moderator_headers, status)) for status in ("accepted", "held", "rejected")}
    assert after == before


def test_a_recheck_finds_the_comment_by_guid(client):
    guid = post_form(client, "comment-check", **FIRST_WITH_WEBSITE).headers["X-akismet-guid"]
    changed = {**FIRST_WITH_WEBSITE, "comment_content": "Thanks for explaining how the budget vote works!!"}
    response = post_form(client, "comment-check", **changed, recheck_reason="recheck_queue", guid=guid)
    assert (response.headers["X-akismet-guid"], response.headers["X-moderation-decision"]) == (guid, "hold")


def test_a_recheck_of_a_comment_never_seen_is_checked_and_stored(client, moderator_headers):
    # The plugin rechecks comments it could not check (the service was down): those are new to us.
    response = post_form(client, "comment-check", **CIVIL, recheck_reason="cron_recheck")
    assert response.text == "false"
    assert stored(client, response.headers["X-akismet-guid"])["comment"] == CIVIL["comment_content"]


def test_a_second_submission_of_the_same_text_is_still_a_duplicate(client):
    # Only rechecks skip the duplicate rule; a visitor posting the same text twice is still caught.
    post_form(client, "comment-check", **CIVIL, **WORDPRESS_FORM)
    response = post_form(client, "comment-check", **CIVIL, **WORDPRESS_FORM)
    codes = {reason["code"] for reason in stored(client, response.headers["X-akismet-guid"])["reasons"]}
    assert "duplicate" in codes and response.text == "true"


def test_a_12_hex_key_from_the_cli_is_saved_by_the_settings_screen(app, client, database_url, tmp_path, monkeypatch,
                                                                    capsys):
    """Defect 3: the plugin accepts only 12 hexadecimal characters, then needs verify-key and get-subscription."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(["keys", "create", "--role", "site", "--akismet", "--name", "the daily"]) == 0
    key = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9a-f]{12}", key)
    form = {"key": key, "blog": BLOG}
    assert client.post("/1.1/verify-key", data=form).text == "valid"
    subscription = client.post("/1.1/get-subscription", data=form)
    assert subscription.mimetype == "application/json"
    account = subscription.get_json()
    assert account.pop("account_name").startswith("site-")
    assert account == {"status": "active", "account_type": "self-hosted", "next_billing_date": False,
                       "limit_reached": False}
    assert client.post("/1.1/deactivate", data=form).text == "deactivated"
    # The key opens the Akismet endpoints only.
    assert client.get("/v1/queue", headers={"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.parametrize("endpoint", ["get-subscription", "get-stats"])
def test_account_endpoints_refuse_a_bad_key(client, endpoint):
    response = client.post(f"/1.1/{endpoint}", data={"key": "0123456789ab", "blog": BLOG})
    assert (response.status_code, response.mimetype) == (401, "application/problem+json")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_connectivity_test_answers_connected(client, method):
    """Defect 4: every Akismet admin page checks /1.1/test."""
    response = client.open("/1.1/test", method=method)
    assert (response.status_code, response.mimetype, response.text) == (200, "text/plain", "connected")


def test_get_stats_counts_spam_missed_spam_and_false_positives(client, wordpress, recorder):
    """Defect 4: the settings screen reads spam, accuracy, missed_spam, false_positives and time_saved."""
    forced_spam = {**CIVIL, "comment_author": "viagra-test-123", "comment_content": "Cheap pills at pills.example"}
    post_form(client, "comment-check", **forced_spam)
    post_form(client, "comment-check", **CIVIL)
    post_form(client, "comment-check", **FIRST_WITH_WEBSITE)
    assert wordpress.submit_ham(IP, **forced_spam) is True  # a false positive
    assert wordpress.submit_spam(IP, **CIVIL) is True  # missed spam
    for interval in ("all", "6-months", "60-days"):
        response = client.post("/1.1/get-stats", data={"key": SITE_KEY, "blog": BLOG, "from": interval})
        assert response.get_json() == {"spam": 1, "ham": 2, "missed_spam": 1, "false_positives": 1,
                                       "accuracy": round(100 / 3, 2), "time_saved": 15}


def test_get_stats_of_an_empty_service(client):
    response = client.post("/1.1/get-stats", data={"key": SITE_KEY, "from": "all"})
    assert response.get_json() == {"spam": 0, "ham": 0, "missed_spam": 0, "false_positives": 0,
                                   "accuracy": 100.0, "time_saved": 0}


def addslashes(text: str) -> str:
    """PHP's addslashes, as WordPress applies it to its form's fields."""
    return re.sub(r"""(['"\\])""", r"\\\1", text)


def test_slashed_text_from_the_form_is_stored_unslashed_and_reports_find_it(client, wordpress, moderator_headers):
    """Defect 5: comment-check sends the form's fields slashed, reports send them unslashed."""
    unslashed = r"""The contractor's bid was "quietly" raised, see C:\budget"""
    slashed = {**CIVIL, "comment_author": addslashes("Ann O'Reader"), "comment_content": addslashes(unslashed)}
    response = post_form(client, "comment-check", **slashed, **WORDPRESS_FORM)
    comment = stored(client, response.headers["X-akismet-guid"])
    assert (comment["comment"], comment["name"]) == (unslashed, "Ann O'Reader")
    assert wordpress.submit_spam(IP, **{**CIVIL, "comment_author": "Ann O'Reader", "comment_content": unslashed})
    [details] = label_events(client, moderator_headers)
    assert details["comment_id"] == comment["id"]


def test_text_without_the_nonce_is_taken_as_it_is(client):
    # Other Akismet clients do not slash: a backslash there is the commenter's own.
    text = r"Use C:\budget\2026 and don\'t ask"
    response = post_form(client, "comment-check", **{**CIVIL, "comment_content": text})
    assert stored(client, response.headers["X-akismet-guid"])["comment"] == text


def test_not_spam_on_an_insult_leaves_toxicity_unknown(client, wordpress, recorder, moderator_headers):
    """Defect 6: "Not spam" says nothing about toxicity."""
    insult = {**CIVIL, "comment_content": "You are a pathetic idiot and everyone here knows it."}
    wordpress.comment_check(IP, **insult)
    assert wordpress.submit_ham(IP, **insult) is True
    [details] = label_events(client, moderator_headers)
    assert details["spam"] is False and details["toxic"] is None


@pytest.mark.parametrize(("report", "status"), [("submit_ham", "accepted"), ("submit_spam", "rejected")])
def test_reports_update_the_stored_status(client, wordpress, recorder, report, status):
    """Defect 7: a comment reported Not spam must leave the queue of held comments."""
    wordpress.comment_check(IP, **FIRST_WITH_WEBSITE)
    guid = recorder.guid
    assert stored(client, guid)["status"] == "held"
    assert getattr(wordpress, report)(IP, **FIRST_WITH_WEBSITE) is True
    assert stored(client, guid)["status"] == status


def test_the_posts_context_is_kept(client):
    """Defect 9: the post's id, permalink and the parent comment."""
    response = post_form(client, "comment-check", **CIVIL, **{**WORDPRESS_FORM, "comment_parent": "41"})
    comment = stored(client, response.headers["X-akismet-guid"])
    assert (comment["article_id"], comment["parent_id"], comment["article_url"]) == \
        ("17", "41", f"{BLOG}/2026/12/budget")
    top_level = post_form(client, "comment-check", **{**CIVIL, "comment_content": "A second thought on it."},
                          **WORDPRESS_FORM)
    assert stored(client, top_level.headers["X-akismet-guid"])["parent_id"] == ""


@pytest.mark.parametrize("own", [BLOG, "https://www.blog.example.org/about"])
def test_the_blogs_own_address_is_no_spam_signal(client, own):
    """Defect 10: the site's own URL (an editor's website field, a link to another article) counts for
    nothing: no first-post-link hold, and no url for the model to read."""
    comment = {**FIRST_WITH_WEBSITE, "comment_author_url": own,
               "comment_content": f"Our earlier report explains it: {BLOG}/2026/11/budget-explained"}
    response = post_form(client, "comment-check", **comment, **WORDPRESS_FORM)
    stored_comment = stored(client, response.headers["X-akismet-guid"])
    assert stored_comment["url"] == ""
    assert "first_post_link" not in {reason["code"] for reason in stored_comment["reasons"]}


def test_another_sites_link_is_still_counted(client):
    response = post_form(client, "comment-check", **FIRST_WITH_WEBSITE, **WORDPRESS_FORM)
    assert stored(client, response.headers["X-akismet-guid"])["url"] == FIRST_WITH_WEBSITE["comment_author_url"]
