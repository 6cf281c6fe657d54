"""Personal data: how addresses are stored, `moderation purge`, the scheduled purge and `moderation forget`,
through the HTTP API and the CLI."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from moderation.cli import main
from moderation.privacy import purge_job_id
from moderation.store import Database
from moderation.store import labels as labels_repo
from moderation.store.db import utcnow
from moderation.store.tables import comments
from service import create_app
from tests.conftest import SECRET_KEY

# The model flags nothing, so every decision below is the rules' own.
MODEL_SILENT = {"spam": {"hold_at": 1.0, "reject_at": 1.0}, "toxicity": {"hold_at": 1.0, "reject_at": 1.0}}
ANN = {"name": "Ann Example", "email": "ann@example.org", "comment": "The council meeting is on Tuesday evening.",
       "url": "https://ann.example.org/", "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (Ann's laptop)"}


def submit(client, headers, **fields):
    response = client.post("/v1/comments", json={**ANN, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def fetch(client, headers, comment_id):
    return client.get(f"/v1/comments/{comment_id}", headers=headers)


@pytest.mark.parametrize(("mode", "stored_as"), [
    ("hash", "hash"), ("plain", "203.0.113.9"), ("none", ""),
])
def test_addresses_are_stored_hashed_unless_configured_otherwise(app_config, database_url, site_headers, mode,
                                                                 stored_as):
    client = create_app({**app_config, "STORE_IP": mode, "THRESHOLDS": MODEL_SILENT}).test_client()
    first = fetch(client, site_headers, submit(client, site_headers)["id"]).get_json()["ip"]
    again = fetch(client, site_headers, submit(client, site_headers, comment="Again.")["id"]).get_json()["ip"]
    other = fetch(client, site_headers, submit(client, site_headers, ip="198.51.100.1")["id"]).get_json()["ip"]
    if stored_as == "hash":
        assert re.fullmatch(r"[0-9a-f]{32}", first) and first == again and first != other
    else:
        assert first == again == stored_as
    with Database(database_url).reading() as connection:
        stored = set(connection.execute(select(comments.c.ip)).scalars())
    assert ("203.0.113.9" in stored) == (mode == "plain")


@pytest.mark.parametrize(("mode", "flooded"), [("hash", True), ("plain", True), ("none", False)])
def test_the_flood_rule_compares_addresses_as_stored(app_config, site_headers, moderator_headers, mode, flooded):
    client = create_app({**app_config, "STORE_IP": mode, "THRESHOLDS": MODEL_SILENT}).test_client()
    patch = client.patch("/v1/rules/settings", json={"flood_per_minute": 2}, headers=moderator_headers)
    assert patch.status_code == 200
    for n in range(2):
        submit(client, site_headers, email=f"reader{n}@example.org", comment=f"Remark {n}.", url="")
    last = submit(client, site_headers, email="reader9@example.org", comment="Remark 9.", url="")
    assert ("flood" in {r["code"] for r in last["reasons"]}) == flooded


@pytest.fixture
def cli_env(monkeypatch, tmp_path, database_url):
    """The CLI pointed at the test's database and instance folder."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    # The apps under test use this secret: the CLI hashes addresses as they do.
    monkeypatch.setenv("MODERATION_SECRET_KEY", SECRET_KEY)


@pytest.fixture
def privacy_client(app_config, moderator_headers):
    """An app whose word list rejects 'frobnicate' and holds 'wibble'; the model flags nothing."""
    client = create_app({**app_config, "THRESHOLDS": MODEL_SILENT}).test_client()
    # Every commenter here gives a website: no first-post hold, so the lists alone decide.
    patch = client.patch("/v1/rules/settings", json={"first_post_link_hold": False}, headers=moderator_headers)
    assert patch.status_code == 200
    for action, word in (("block", "frobnicate"), ("hold", "wibble")):
        response = client.post("/v1/rules/entries", json={"kind": "word", "action": action, "value": word},
                               headers=moderator_headers)
        assert response.status_code == 201
    return client


def stored_labels(database_url):
    """The labelled examples retraining reads."""
    with Database(database_url).reading() as connection:
        return labels_repo.every(connection)


def backdate(database_url, comment_id, days):
    with Database(database_url).transaction() as connection:
        connection.execute(update(comments).where(comments.c.id == comment_id)
                           .values(created_at=utcnow() - timedelta(days=days)))


PERSONAL = ("name", "email", "ip", "url", "user_agent")


@pytest.fixture
def aged_comments(privacy_client, site_headers, moderator_headers, database_url):
    """Comments of every kind, most of them 40 days old; returns their ids by kind."""
    client = privacy_client
    ids = {
        "old_rejected": submit(client, site_headers, comment="frobnicate the lot of them")["id"],
        "old_accepted": submit(client, site_headers, email="bea@example.org", comment="Lovely park.")["id"],
        "old_held": submit(client, site_headers, email="cy@example.org", comment="wibble wobble")["id"],
        "old_spam": submit(client, site_headers, email="dan@example.org", comment="Cheap watches here")["id"],
        "new_rejected": submit(client, site_headers, email="eve@example.org", comment="frobnicate now")["id"],
    }
    review = {"action": "reject", "labels": {"spam": True, "toxic": False}}
    assert client.post(f"/v1/comments/{ids['old_spam']}/review", json=review,
                       headers=moderator_headers).status_code == 200
    for kind, comment_id in ids.items():
        if kind.startswith("old_"):
            backdate(database_url, comment_id, 40)
    return ids


def test_purge_anonymises_old_rejected_and_spam_comments_and_keeps_them_for_training(
        privacy_client, aged_comments, cli_env, database_url, site_headers, moderator_headers, capsys):
    client = privacy_client
    before = {kind: fetch(client, site_headers, cid).get_json() for kind, cid in aged_comments.items()}
    assert main(["purge", "--older-than", "30d"]) == 0
    assert "anonymised 2 comments and 1 labels" in capsys.readouterr().out
    after = {kind: fetch(client, site_headers, cid).get_json() for kind, cid in aged_comments.items()}
    for kind in ("old_rejected", "old_spam"):
        assert all(after[kind][field] == "" for field in PERSONAL), kind
        kept = {k: v for k, v in after[kind].items() if k not in (*PERSONAL, "updated_at")}
        assert kept == {k: v for k, v in before[kind].items() if k not in (*PERSONAL, "updated_at")}
    for kind in ("old_accepted", "old_held", "new_rejected"):
        assert after[kind] == before[kind], kind
    [spam] = [label for label in stored_labels(database_url) if label.comment == "Cheap watches here"]
    assert (spam.name, spam.email, spam.url, spam.spam) == ("", "", "", True)
    events = client.get("/v1/audit?target=older-than-30d", headers=moderator_headers).get_json()["events"]
    assert events[0]["action"] == "privacy.purge" and events[0]["details"]["comments"] == 2
    assert main(["purge", "--older-than", "30d"]) == 0
    assert "anonymised 0 comments" in capsys.readouterr().out


def test_purge_hashes_addresses_that_an_earlier_setting_kept_in_the_clear(app_config, cli_env, site_headers,
                                                                            capsys):
    plain = create_app({**app_config, "STORE_IP": "plain", "THRESHOLDS": MODEL_SILENT}).test_client()
    old = submit(plain, site_headers)["id"]
    assert fetch(plain, site_headers, old).get_json()["ip"] == ANN["ip"]
    assert main(["purge", "--older-than", "30d"]) == 0
    assert "stored 1 addresses kept in the clear as MODERATION_STORE_IP=hash says" in capsys.readouterr().out
    hashing = create_app({**app_config, "THRESHOLDS": MODEL_SILENT}).test_client()
    new = submit(hashing, site_headers, comment="A later remark.")["id"]
    old_ip, new_ip = (fetch(hashing, site_headers, cid).get_json()["ip"] for cid in (old, new))
    assert re.fullmatch(r"[0-9a-f]{32}", old_ip) and old_ip == new_ip


@pytest.mark.parametrize(("argv", "message"), [
    (["purge", "--older-than", "soon"], "not an age in days"),
    (["forget", "--email", "  "], "an email address is needed"),
])
def test_privacy_commands_refuse_bad_arguments(cli_env, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("variable", "value"), [
    ("MODERATION_STORE_IP", "scrambled"), ("MODERATION_PURGE_OLDER_THAN", "a month"),
])
def test_bad_privacy_settings_are_a_clear_error(cli_env, monkeypatch, capsys, variable, value):
    monkeypatch.setenv(variable, value)
    assert main(["purge", "--older-than", "30d"]) == 2
    assert variable in capsys.readouterr().err


@pytest.mark.parametrize(("run_jobs", "status"), [(True, "succeeded"), (False, "queued")])
def test_a_setting_purges_daily_as_a_job(app_config, aged_comments, site_headers, moderator_headers, run_jobs,
                                         status):
    app = create_app({**app_config, "PURGE_OLDER_THAN_DAYS": 30, "PURGE_CHECK_SECONDS": 0.2,
                      "RUN_JOBS": run_jobs})
    client = app.test_client()
    try:
        job_id = purge_job_id(utcnow())
        deadline = time.monotonic() + 60
        while True:
            response = client.get(f"/v1/jobs/{job_id}", headers=moderator_headers)
            if response.status_code == 200 and response.get_json()["status"] == status:
                break
            assert time.monotonic() < deadline, f"the daily purge did not reach {status}: {response.get_json()}"
            time.sleep(0.1)
        job = response.get_json()
        assert (job["kind"], job["status"], job["request"]) == ("purge", status, {"older_than_days": 30})
        rejected = fetch(client, site_headers, aged_comments["old_rejected"]).get_json()
        assert (rejected["email"] == "") == run_jobs
        if run_jobs:
            assert job["result"]["comments"] == 2
        # A second app (another worker) finds today's job queued already and adds none.
        second = create_app({**app_config, "PURGE_OLDER_THAN_DAYS": 30, "PURGE_CHECK_SECONDS": 0.2})
        time.sleep(0.5)
        second.extensions["moderation.purge_schedule"].stop()
        assert client.get(f"/v1/jobs/{job_id}", headers=moderator_headers).get_json()["created_at"] == \
            job["created_at"]
    finally:
        app.extensions["moderation.purge_schedule"].stop()


def test_forget_removes_everything_about_one_person(privacy_client, cli_env, database_url, site_headers,
                                                     moderator_headers, capsys):
    client = privacy_client
    mine = [submit(client, site_headers)["id"], submit(client, site_headers, comment="frobnicate this")["id"]]
    theirs = submit(client, site_headers, name="Bob", email="bob@example.org", comment="I disagree, politely.")["id"]
    review = {"action": "approve", "labels": {"spam": False, "toxic": False}, "note": "fine"}
    assert client.post(f"/v1/comments/{mine[0]}/review", json=review, headers=moderator_headers).status_code == 200
    feedback = {**ANN, "comment": "A labelled remark Ann made elsewhere.", "labels": {"spam": True, "toxic": False}}
    assert client.post("/v1/feedback", json=feedback, headers=moderator_headers).status_code == 201
    for match, value in (("email", "ann@example.org"), ("email", "bob@example.org")):
        entry = {"kind": "author", "action": "trust", "match": match, "value": value}
        assert client.post("/v1/rules/entries", json=entry, headers=moderator_headers).status_code == 201

    assert main(["forget", "--email", "ANN@Example.org"]) == 0
    assert capsys.readouterr().out.strip() == ("removed 2 comments, 1 author-list entries and 2 audit events "
                                               "about them; anonymised 2 labels")
    assert all(fetch(client, site_headers, cid).status_code == 404 for cid in mine)
    assert fetch(client, site_headers, theirs).get_json()["email"] == "bob@example.org"
    for cid in mine:
        assert client.get(f"/v1/audit?target={cid}", headers=moderator_headers).get_json()["events"] == []
    audit = client.get("/v1/audit", headers=moderator_headers)
    event = audit.get_json()["events"][0]
    assert event["action"] == "privacy.forget" and event["details"]["comments"] == 2
    assert "ann@example.org" not in audit.get_data(as_text=True).lower()
    rules = client.get("/v1/rules", headers=moderator_headers).get_data(as_text=True)
    assert "ann@example.org" not in rules and "bob@example.org" in rules
    queue = client.get("/v1/queue?status=accepted&email=ann@example.org", headers=moderator_headers)
    assert queue.get_json()["items"] == []
    texts = {label.comment: label for label in stored_labels(database_url)}
    assert texts[ANN["comment"]].email == "" and texts[feedback["comment"]].name == ""
    assert not any("ann" in (e.email + e.name + e.url).lower() for e in texts.values())
