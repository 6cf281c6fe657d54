"""Retraining jobs, the promotion gate, activation, rollback and hot swap, through the HTTP API."""

from __future__ import annotations

import itertools
import shutil
import threading
import time

import pytest

from model.store import ARTIFACT
from moderation.retraining import is_evaluation_text
from tests.conftest import SITE_KEY
from tests.test_review_api import CIVIL, TOXIC, submit


def wait_for_job(client, headers, job_id, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).get_json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def start_training(client, headers, **body):
    response = client.post("/v1/models", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    assert response.headers["Location"].endswith(response.get_json()["job"]["id"])
    return wait_for_job(client, headers, response.get_json()["job"]["id"])


def versions(client, headers):
    return client.get("/v1/models", headers=headers).get_json()


def test_training_job_adds_an_inactive_version_with_its_labels(client, moderator_headers):
    before = versions(client, moderator_headers)
    client.post("/v1/feedback", json={**TOXIC, "labels": {"spam": False, "toxic": True}}, headers=moderator_headers)
    job = start_training(client, moderator_headers)
    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    assert result["sources"]["moderator"] + result["sources"]["moderator_held_out"] == 1
    assert not result["activated"]
    after = versions(client, moderator_headers)
    assert len(after["versions"]) == len(before["versions"]) + 1
    assert after["active_version"] == before["active_version"]
    new = next(v for v in after["versions"] if v["version"] == result["version"])
    assert not new["active"] and new["gate"] == result["gate"]


def test_gate_promotes_a_model_that_is_not_worse(client, moderator_headers, site_headers):
    job = start_training(client, moderator_headers, activate=True)
    result = job["result"]
    assert result["gate"]["promote"] and result["activated"], result["gate"]
    assert versions(client, moderator_headers)["active_version"] == result["version"]
    assert submit(client, site_headers, CIVIL)["model_version"] == result["version"]


def test_gate_refuses_a_worse_model_and_shows_why(client, moderator_headers, small_examples):
    before = versions(client, moderator_headers)["active_version"]
    # Teach the opposite of the truth, on texts that will be trained on (not the held-out ones).
    poisoned = [e for e in small_examples if not is_evaluation_text(e.comment)][:400]
    for e in poisoned:
        body = {"name": e.name or "x", "email": "someone@example.org", "comment": e.comment,
                "labels": {"spam": not e.spam, "toxic": not e.toxic}}
        assert client.post("/v1/feedback", json=body, headers=moderator_headers).status_code == 201
    job = start_training(client, moderator_headers, activate=True)
    gate = job["result"]["gate"]
    assert not gate["promote"] and not job["result"]["activated"]
    assert "worse" in gate["reason"]
    assert any(gate["candidate"][label] < gate["active"][label] for label in ("spam", "toxicity"))
    assert versions(client, moderator_headers)["active_version"] == before


def test_activation_and_rollback(client, moderator_headers, site_headers, model_store):
    first = model_store.active_version()
    second = next(v["version"] for v in model_store.versions() if v["version"] != first)
    response = client.post(f"/v1/models/{second}/activate", headers=moderator_headers)
    assert response.get_json() == {"active_version": second, "previous_version": first}
    assert submit(client, site_headers, CIVIL)["model_version"] == second
    client.post(f"/v1/models/{first}/activate", headers=moderator_headers)
    assert submit(client, site_headers, CIVIL)["model_version"] == first
    actions = [e["action"] for e in client.get("/v1/audit", headers=moderator_headers).get_json()["events"]]
    assert actions[:2] == ["model.activate", "model.activate"]


def test_unknown_version_is_404(client, moderator_headers):
    assert client.post("/v1/models/20200101T000000Z-00000000/activate", headers=moderator_headers).status_code == 404


def _corrupt_copy(model_store, how: str) -> str:
    source = next(v["version"] for v in model_store.versions() if v["version"] != model_store.active_version())
    bad = source[:-8] + "badbad00"
    shutil.copytree(model_store.root / source, model_store.root / bad)
    manifest_path = model_store.root / bad / "manifest.json"
    manifest = manifest_path.read_text().replace(source, bad)
    if how == "corrupt":
        (model_store.root / bad / ARTIFACT).write_bytes(b"not a model")
    else:
        manifest = manifest.replace('"scikit-learn": "', '"scikit-learn": "0.0.')
    manifest_path.write_text(manifest)
    return bad


@pytest.mark.parametrize("how", ["corrupt", "mismatched"])
def test_refused_artifact_leaves_the_old_model_serving(client, moderator_headers, site_headers, model_store, how):
    serving = model_store.active_version()
    bad = _corrupt_copy(model_store, how)
    response = client.post(f"/v1/models/{bad}/activate", headers=moderator_headers)
    assert response.status_code == 409
    assert submit(client, site_headers, CIVIL)["model_version"] == serving
    # Even if the pointer is changed behind the service's back, it keeps serving the last good model.
    (model_store.root / "ACTIVE").write_text(bad)
    assert submit(client, site_headers, CIVIL)["model_version"] == serving
    listing = versions(client, moderator_headers)
    assert listing["active_version"] == bad and listing["serving_version"] == serving
    assert client.get("/readyz").status_code == 200


def test_hot_swap_under_concurrent_requests(app, moderator_headers, site_headers, model_store):
    first = model_store.active_version()
    second = next(v["version"] for v in model_store.versions() if v["version"] != first)
    results, stop = [], threading.Event()

    readers = itertools.count()

    def post_comments():
        client = app.test_client()
        while not stop.is_set():
            # A new reader each time: one reader posting this fast would meet the per-email limit.
            comment = {**CIVIL, "email": f"reader{next(readers)}@gmail.com"}
            response = client.post("/v1/comments", json=comment, headers=site_headers)
            results.append((response.status_code, response.get_json().get("model_version")))

    threads = [threading.Thread(target=post_comments) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    swap = app.test_client()
    for version in (second, first, second):
        assert swap.post(f"/v1/models/{version}/activate", headers=moderator_headers).status_code == 200
        time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    assert results and all(status == 201 for status, _ in results), {s for s, _ in results}
    assert {version for _, version in results} == {first, second}
    assert results[-1][1] == second


SCORED_REQUESTS = [
    ("/v1/comments", {"json": CIVIL}, 201),
    ("/v1/analyze", {"json": {"items": [CIVIL, TOXIC]}}, 200),
    ("/1.1/comment-check", {"data": {"api_key": SITE_KEY, "blog": "http://blog.example.org",
                                     "comment_author": "Ann", "comment_content": CIVIL["comment"]}}, 200),
    (f"/v1alpha1/comments:analyze?key={SITE_KEY}",
     {"json": {"comment": {"text": TOXIC["comment"]}, "requestedAttributes": {"TOXICITY": {}}}}, 200),
]


@pytest.mark.parametrize(("path", "body", "status"), SCORED_REQUESTS)
def test_every_scored_answer_names_the_serving_version(client, site_headers, moderator_headers, model_store,
                                                       path, body, status):
    for version in [v["version"] for v in model_store.versions()]:
        assert client.post(f"/v1/models/{version}/activate", headers=moderator_headers).status_code == 200
        response = client.post(path, headers=site_headers, **body)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.headers["X-Model-Version"] == version
