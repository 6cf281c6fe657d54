"""Metrics, request ids, structured logs and readiness, through the HTTP API (in process and under gunicorn)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from moderation.logs import JsonFormatter
from service import create_app
from tests.conftest import MODERATOR_KEY, SECRET_KEY, SITE_KEY

ROOT = Path(__file__).resolve().parent.parent
METRICS_KEY = "metrics-key-for-tests"
CIVIL = {"name": "Ann", "email": "ann@gmail.com", "comment": "The new library opening hours are a good idea."}
# Text that must never reach a log line.
MARKER = "zanzibar-quokka-marker"


def sample_sum(exposition: str, name: str, **labels: str) -> float:
    """The sum of every sample called name whose labels include the given ones (0 when there is none)."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.fixture
def metrics_app(app_config):
    return create_app({**app_config, "METRICS_KEY": METRICS_KEY, "RUN_JOBS": False})


@pytest.fixture
def metrics_client(metrics_app):
    return metrics_app.test_client()


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("token", "status"), [
    (None, 401), ("wrong-key", 401), (SITE_KEY, 403), (MODERATOR_KEY, 200), (METRICS_KEY, 200),
])
def test_metrics_need_the_metrics_key_or_a_moderator_key(metrics_client, token, status):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = metrics_client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.mimetype == "application/problem+json"


def test_without_a_metrics_key_configured_only_moderators_scrape(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {MODERATOR_KEY}"}).status_code == 200


def test_metrics_count_requests_decisions_reasons_and_the_serving_model(metrics_client, site_headers,
                                                                          model_store):
    before = scrape(metrics_client)
    created = metrics_client.post("/v1/comments", json=CIVIL, headers=site_headers)
    assert created.status_code == 201
    decision = created.get_json()
    assert metrics_client.get("/no/such/path/123").status_code == 404
    assert metrics_client.post("/v1/analyze", json={"items": [CIVIL, CIVIL]}, headers=site_headers).status_code == 200
    after = scrape(metrics_client)

    def delta(name, **labels):
        return sample_sum(after, name, **labels) - sample_sum(before, name, **labels)

    assert delta("moderation_http_requests_total", endpoint="/v1/comments", method="POST", status="201") == 1
    assert delta("moderation_http_request_duration_seconds_count", endpoint="/v1/comments", status="201") == 1
    # Unknown paths share one series, whatever the path was.
    assert delta("moderation_http_requests_total", endpoint="unmatched", status="404") == 1
    assert not re.search(r"/no/such/path", after)
    assert delta("moderation_decisions_total", decision=decision["decision"], stored="true") == 1
    assert delta("moderation_decisions_total", stored="false") == 2
    for reason in decision["reasons"]:
        assert delta("moderation_decision_reasons_total", code=reason["code"], stored="true") == 1
    assert sample_sum(after, "moderation_model_serving", version=model_store.active_version()) == 1


def test_queue_depth_counts_jobs_waiting_in_the_jobs_table(metrics_client, moderator_headers):
    assert sample_sum(scrape(metrics_client), "moderation_jobs_waiting", kind="train") == 0
    assert metrics_client.post("/v1/models", headers=moderator_headers).status_code == 202
    # One training job at a time: the second request is told which one is queued.
    assert metrics_client.post("/v1/models", headers=moderator_headers).status_code == 409
    # RUN_JOBS is off here, as when a separate worker runs the jobs: it stays queued.
    assert sample_sum(scrape(metrics_client), "moderation_jobs_waiting", kind="train") == 1


REQUEST_IDS = [
    ("4bf92f3577b34da6a3ce929d0e0e4736", True),
    ("web-01:req/42@edge+retry=1", True),
    ("x" * 128, True),
    ("x" * 129, False),
    ("<script>alert(1)</script>", False),
    ("two words", False),
    ('quote"and{json}', False),
]


@pytest.mark.parametrize(("incoming", "honoured"), REQUEST_IDS)
def test_a_well_formed_request_id_is_honoured_and_echoed_otherwise_replaced(client, site_headers, caplog, incoming,
                                                                             honoured):
    caplog.set_level(logging.INFO, logger="moderation.access")
    response = client.post("/v1/comments", json=CIVIL, headers={**site_headers, "X-Request-ID": incoming})
    echoed = response.headers["X-Request-ID"]
    if honoured:
        assert echoed == incoming
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)
    [access] = [r for r in caplog.records if r.name == "moderation.access"]
    assert json.loads(JsonFormatter().format(access))["request_id"] == echoed


def test_every_request_gets_an_id_of_its_own(client):
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)


def test_logs_are_json_lines_without_query_strings_or_comment_text(client, site_headers, caplog):
    caplog.set_level(logging.DEBUG)
    analyze = {"comment": {"text": f"{MARKER} you are all idiots"}, "requestedAttributes": {"TOXICITY": {}}}
    assert client.post(f"/v1alpha1/comments:analyze?key={SITE_KEY}", json=analyze).status_code == 200
    assert client.post("/v1/comments", json={**CIVIL, "comment": f"{MARKER} hello"},
                       headers=site_headers).status_code == 201
    # A path is untrusted text too: an escaped newline and quotes must not forge a second record.
    assert client.get('/v1/comments/x%0A{"level":"forged"}', headers=site_headers).status_code == 404
    lines = [JsonFormatter().format(record) for record in caplog.records]
    access = [json.loads(line) for line in lines if json.loads(line)["logger"] == "moderation.access"]
    assert [entry["endpoint"] for entry in access] == ["/v1alpha1/comments:analyze", "/v1/comments",
                                                       "/v1/comments/<comment_id>"]
    assert access[0]["path"] == "/v1alpha1/comments:analyze" and access[0]["status"] == 200
    assert access[2]["path"] == '/v1/comments/x\n{"level":"forged"}'
    for line in lines:
        assert "\n" not in line and json.loads(line)
        assert SITE_KEY not in line and MARKER not in line and "key=" not in line


@pytest.fixture
def redis_url():
    """The Redis on this machine; skipped when none answers (a failure under CI, which installs one)."""
    url = "redis://127.0.0.1:6379/0"
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            pass
    except OSError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {url}: {error}")
        pytest.skip(f"no Redis at {url}: {error}")
    return url


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ready_when_the_configured_redis_answers(app_config, redis_url):
    response = create_app({**app_config, "REDIS_URL": redis_url}).test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()


def test_not_ready_when_the_configured_redis_does_not_answer(app_config):
    client = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert set(response.get_json()["errors"]) == {"redis"}


# Under gunicorn: several worker processes, one /metrics.

def _free_port() -> int:
    return _closed_port()


@pytest.fixture
def gunicorn_server(tmp_path, database_url, model_store, small_data_dir):
    """The service under gunicorn with gunicorn.conf.py and two workers; yields (base URL, log file)."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url, "MODERATION_MODEL_DIR": str(model_store.root),
           "MODERATION_TRAINING_DATA": str(small_data_dir), "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
           "MODERATION_SITE_KEYS": SITE_KEY, "MODERATION_MODERATOR_KEYS": MODERATOR_KEY,
           "MODERATION_METRICS_KEY": METRICS_KEY, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           # The test models are signed with the tests' secret.
           "MODERATION_SECRET_KEY": SECRET_KEY}
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "service:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "gunicorn did not become ready: " + log_path.read_text()
            time.sleep(0.5)
        yield base, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_under_gunicorn_metrics_add_up_every_worker_and_logs_stay_clean(gunicorn_server, model_store):
    base, log_path = gunicorn_server
    site = {"Authorization": f"Bearer {SITE_KEY}"}
    moderator = {"Authorization": f"Bearer {MODERATOR_KEY}"}
    posts = 12
    pids = set()
    for n in range(posts):
        # A new connection each time, so both workers take requests.
        response = httpx.post(f"{base}/v1/comments", headers={**site, "X-Request-ID": f"load-{n}"},
                              json={**CIVIL, "email": f"reader{n}@gmail.com", "comment": f"{MARKER} number {n}"})
        assert response.status_code == 201 and response.headers["X-Request-ID"] == f"load-{n}"
    analyze = {"comment": {"text": f"{MARKER} idiots"}, "requestedAttributes": {"TOXICITY": {}}}
    assert httpx.post(f"{base}/v1alpha1/comments:analyze?key={SITE_KEY}", json=analyze).status_code == 200
    job = httpx.post(f"{base}/v1/models", headers=moderator, json={"activate": False}).json()["job"]
    deadline = time.monotonic() + 900
    while (status := httpx.get(f"{base}/v1/jobs/{job['id']}", headers=moderator).json()["status"]) in (
            "queued", "running"):
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(1)
    assert status == "succeeded"

    exposition = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"}).text
    assert sample_sum(exposition, "moderation_http_requests_total", endpoint="/v1/comments", method="POST",
                      status="201") == posts
    assert sample_sum(exposition, "moderation_decisions_total", stored="true") == posts
    assert sample_sum(exposition, "moderation_model_serving", version=model_store.active_version()) == 1
    # The training ran in a child process of a worker; its samples count too.
    assert sample_sum(exposition, "moderation_training_runs_total") == 1
    assert sample_sum(exposition, "moderation_training_duration_seconds_count") == 1
    assert sample_sum(exposition, "moderation_jobs_waiting", kind="train") == 0
    for path in (log_path.parent / "metrics").glob("counter_*.db"):
        pids.add(path.stem.split("_")[1])
    assert len(pids) >= 2, "the workers and the training process each keep their own samples"

    lines = log_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == "moderation.access"]
    assert {e["request_id"] for e in access} >= {f"load-{n}" for n in range(posts)}
    assert any(e["logger"] == "gunicorn.error" for e in entries), "gunicorn's own lines are JSON too"
    for line in lines:
        assert SITE_KEY not in line and MARKER not in line and "key=" not in line
