"""The job queue: webhook deliveries from a persisted outbox, training one job at a time, `moderation worker`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moderation.cli import main
from moderation.settings import SettingsError, from_env
from moderation.store import Database
from moderation.store import jobs as jobs_repo
from moderation.webhooks import SIGNATURE_HEADER, verify
from service import create_app
from tests.test_models_api import wait_for_job
from tests.test_review_api import HOLD_ALL, REVIEW, TOXIC, submit

SECRET = "s3cret"


class _Receiver(BaseHTTPRequestHandler):
    received: list
    script: list
    release: threading.Event

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        answer = self.script[min(len(self.received), len(self.script)) - 1]
        if answer == "hang":
            # Keep the sender waiting (until the test releases it), then answer to whoever is still there.
            self.release.wait(60)
            answer = 204
        if answer == "malformed":
            # Not HTTP at all: the sender must treat it as a failed attempt, not crash.
            self.wfile.write(b"\x00garbage\r\n\r\n")
            self.close_connection = True
            return
        self.send_response(answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(request):
    """A webhook receiver answering, in turn, the answers a test parametrizes it with (then the last one)."""
    received: list = []
    release = threading.Event()
    handler = type("Receiver", (_Receiver,), {"received": received, "script": getattr(request, "param", [204]),
                                              "release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    release.set()
    server.shutdown()
    server.server_close()


def wait_until(condition, timeout=60, interval=0.05):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(interval)


def webhook_jobs(database_url):
    database = Database(database_url)
    with database.reading() as connection:
        rows = connection.execute(jobs_repo.jobs.select().where(jobs_repo.jobs.c.kind == "webhook")).all()
    database.dispose()
    return rows


@pytest.fixture
def worker_env(monkeypatch, tmp_path, app_config):
    """The environment a `moderation worker` sharing the app's database and model store runs with."""
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", app_config["DATABASE_URL"])
    monkeypatch.setenv("MODERATION_MODEL_DIR", app_config["MODEL_DIR"])
    monkeypatch.setenv("MODERATION_TRAINING_DATA", app_config["TRAINING_DATA_DIR"])


@pytest.mark.parametrize("receiver", [["malformed", 503, 204]], indirect=True)
def test_a_status_change_is_delivered_signed_through_malformed_answers_and_errors(app_config, receiver,
                                                                                    site_headers, moderator_headers):
    url, received = receiver
    app = create_app({**app_config, "THRESHOLDS": HOLD_ALL, "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET,
                      "WEBHOOK_BACKOFF": 0.05, "WORKER_POLL_SECONDS": 0.05})
    client = app.test_client()
    comment = submit(client, site_headers, TOXIC)
    review = client.post(f"/v1/comments/{comment['id']}/review", json=REVIEW, headers=moderator_headers)
    assert review.status_code == 200
    wait_until(lambda: [row.status for row in webhook_jobs(app_config["DATABASE_URL"])] == ["succeeded"])
    app.extensions["moderation.jobs"].close()
    assert len(received) == 3, "a malformed answer, a 503, then accepted"
    assert len({body for _, body in received}) == 1, "every attempt carries the same event"
    headers, body = received[-1]
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert not verify("wrong", headers[SIGNATURE_HEADER], body)
    event = json.loads(body)
    assert event["type"] == "comment.status_changed" and event["comment_id"] == comment["id"]
    assert (event["previous_status"], event["status"]) == ("held", "rejected")
    assert webhook_jobs(app_config["DATABASE_URL"])[0].attempts == 3


@pytest.mark.parametrize("receiver", [[500]], indirect=True)
def test_a_delivery_gives_up_after_its_attempts(app_config, receiver, site_headers, moderator_headers):
    url, received = receiver
    app = create_app({**app_config, "THRESHOLDS": HOLD_ALL, "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET,
                      "WEBHOOK_BACKOFF": 0.01, "WEBHOOK_ATTEMPTS": 3, "WORKER_POLL_SECONDS": 0.05})
    client = app.test_client()
    comment = submit(client, site_headers, TOXIC)
    client.post(f"/v1/comments/{comment['id']}/review", json=REVIEW, headers=moderator_headers)
    wait_until(lambda: [row.status for row in webhook_jobs(app_config["DATABASE_URL"])] == ["failed"])
    app.extensions["moderation.jobs"].close()
    job = webhook_jobs(app_config["DATABASE_URL"])[0]
    assert len(received) == job.attempts == 3
    assert "500" in job.error


def queue_a_delivery(app_config, url, monkeypatch, site_headers, moderator_headers) -> dict:
    """A web process that runs no jobs queues a webhook delivery for a reviewed comment and goes away (the delivery
    is a row in the database); the worker's environment points at the same receiver. The comment."""
    app = create_app({**app_config, "THRESHOLDS": HOLD_ALL, "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET,
                      "RUN_JOBS": False})
    client = app.test_client()
    comment = submit(client, site_headers, TOXIC)
    client.post(f"/v1/comments/{comment['id']}/review", json=REVIEW, headers=moderator_headers)
    monkeypatch.setenv("MODERATION_WEBHOOK_URL", url)
    monkeypatch.setenv("MODERATION_WEBHOOK_SECRET", SECRET)
    return comment


def test_with_a_worker_configured_the_web_process_only_enqueues_and_a_restart_loses_nothing(
        app_config, receiver, worker_env, monkeypatch, site_headers, moderator_headers):
    url, received = receiver
    comment = queue_a_delivery(app_config, url, monkeypatch, site_headers, moderator_headers)
    assert received == [] and [row.status for row in webhook_jobs(app_config["DATABASE_URL"])] == ["queued"]
    assert main(["worker", "--once"]) == 0
    assert len(received) == 1 and json.loads(received[0][1])["comment_id"] == comment["id"]
    assert [row.status for row in webhook_jobs(app_config["DATABASE_URL"])] == ["succeeded"]


@pytest.mark.parametrize("receiver", [["hang", 204]], indirect=True)
def test_a_job_whose_worker_is_killed_is_taken_back_by_another(app_config, receiver, worker_env, monkeypatch,
                                                                site_headers, moderator_headers):
    url, received = receiver
    queue_a_delivery(app_config, url, monkeypatch, site_headers, moderator_headers)
    monkeypatch.setenv("MODERATION_JOB_STALE_SECONDS", "15")
    worker = subprocess.Popen([sys.executable, "-m", "moderation.cli", "worker"], env=dict(os.environ))
    try:
        wait_until(lambda: len(received) == 1, timeout=120)  # the first worker is in the middle of the delivery
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert [row.status for row in webhook_jobs(app_config["DATABASE_URL"])] == ["running"]
    # Once its heartbeat is stale, the next worker takes the job back and delivers it.
    wait_until(lambda: main(["worker", "--once"]) == 0 and len(received) == 2, timeout=120, interval=1)
    job = webhook_jobs(app_config["DATABASE_URL"])[0]
    assert (job.status, job.attempts, job.result) == ("succeeded", 2, {"status": 204})
    assert received[0][1] == received[1][1]


def test_one_training_job_at_a_time_run_by_the_worker(app_config, worker_env, moderator_headers):
    client = create_app({**app_config, "RUN_JOBS": False}).test_client()
    first = client.post("/v1/models", json={"activate": True}, headers=moderator_headers)
    assert first.status_code == 202 and first.get_json()["job"]["status"] == "queued"
    job_id = first.get_json()["job"]["id"]
    second = client.post("/v1/models", json={}, headers=moderator_headers)
    assert second.status_code == 409
    assert second.headers["Content-Type"] == "application/problem+json"
    assert second.headers["Location"].endswith(job_id) and job_id in second.get_json()["detail"]

    assert main(["worker", "--once"]) == 0
    job = wait_for_job(client, moderator_headers, job_id)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 1 and job["result"]["activated"]
    assert client.get("/v1/models", headers=moderator_headers).get_json()["active_version"] == job["result"]["version"]
    events = client.get("/v1/audit", query_string={"target": job["result"]["version"]},
                        headers=moderator_headers).get_json()["events"]
    assert [e["action"] for e in events] == ["model.trained"]
    assert client.post("/v1/models", json={}, headers=moderator_headers).status_code == 202, "the slot is free again"


@pytest.mark.parametrize(("value", "run_jobs"), [("inline", True), ("worker", False), ("WORKER", False)])
def test_jobs_setting(value, run_jobs):
    assert from_env({"MODERATION_JOBS": value})["RUN_JOBS"] is run_jobs


def test_jobs_setting_refuses_other_values():
    with pytest.raises(SettingsError, match="MODERATION_JOBS"):
        from_env({"MODERATION_JOBS": "celery"})


def test_worker_refuses_an_unknown_kind(worker_env, capsys):
    assert main(["worker", "--once", "--kinds", "train,email"]) == 2
    assert "email" in capsys.readouterr().err
