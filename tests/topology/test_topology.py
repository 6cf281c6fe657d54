"""The production topology as real processes: nginx in front of two gunicorn instances, a `moderation worker`,
PostgreSQL. Everything goes through nginx, as a site would.

Skipped with the reason when nginx or PostgreSQL is missing; with CI set, missing parts fail the test instead.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bench.http_load import nginx_binary, nginx_command, nginx_config
from tests.conftest import MODERATOR_KEY, SECRET_KEY, SITE_KEY

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("MODERATION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
MODERATOR = {"Authorization": f"Bearer {MODERATOR_KEY}"}


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the topology test must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@functools.cache
def _gunicorn_options() -> str:
    return subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True,
                          timeout=120).stdout


def _own_control_socket(path: Path) -> list[str]:
    """Recent gunicorn opens a control socket at one path per user (~/.gunicorn): each instance gets its own."""
    return ["--control-socket", str(path)] if "--control-socket" in _gunicorn_options() else []


def call(base: str, method: str, path: str, body: dict | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict]:
    """One HTTP request; (status, JSON body), with status 0 when no answer came at all."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,  # noqa: S310 (a local test URL)
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload or b"{}")
        except ValueError:
            return error.code, {"body": payload.decode(errors="replace")}
    except (OSError, ValueError):
        return 0, {}


def wait_for(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def comment(n: int) -> dict:
    """A new commenter each time, so that no history, duplicate or rate rule sees a repeat."""
    tag = uuid.uuid4().hex[:10]
    return {"name": f"Reader {n}", "email": f"reader-{tag}@example.org", "ip": f"10.{n % 250}.{n // 250 % 250}.7",
            "comment": f"Comment {n} ({tag}): the council should publish the budget before the vote."}


class Topology:
    """Starts and stops the processes; logs go to files in the test's folder."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        # Its own session, so that killing an instance kills its master and its workers together.
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=log,  # noqa: S603
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def gunicorn(self, name: str) -> str:
        port = self.ports[name] = _free_port()
        self.start(name, [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                          *_own_control_socket(self.folder / f"{name}.ctl"), "service:create_app()"],
                   MODERATION_INSTANCE_PATH=str(self.folder / f"instance-{name}"))
        return f"http://127.0.0.1:{port}"

    def nginx(self, binary: str, upstreams: list[int]) -> str:
        port = self.ports["nginx"] = _free_port()
        # The deployment's proxy settings (deploy/nginx/proxy.conf), in a configuration with its own paths.
        self.start("nginx", nginx_command(binary, nginx_config(self.folder / "nginx", port, upstreams)))
        return f"http://127.0.0.1:{port}"

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("*.log")))


@pytest.fixture
def postgres_url():
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        _missing(f"no PostgreSQL server at {SERVER}: {error}")
    name = f"moderation_topology_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def topology(tmp_path, postgres_url, trained_store, small_data_dir):
    """nginx -> two gunicorn instances, a worker, PostgreSQL; one shared model store. Yields (topology, url)."""
    binary = nginx_binary()
    if binary is None:
        _missing("nginx is not installed (run .ci/install-topology)")
    models = tmp_path / "models"
    # The session's models are signed with the tests' secret, which every process here shares.
    shutil.copytree(trained_store.root, models)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    env.update(DATABASE_URL=postgres_url, MODERATION_MODEL_DIR=str(models),
               MODERATION_TRAINING_DATA=str(small_data_dir), MODERATION_SITE_KEYS=SITE_KEY,
               MODERATION_MODERATOR_KEYS=MODERATOR_KEY, MODERATION_SECRET_KEY=SECRET_KEY,
               MODERATION_JOBS="worker", MODERATION_TRUSTED_PROXIES="1", MODERATION_MODEL_CHECK_SECONDS="1",
               # Every comment is held, so that there is something to review.
               MODERATION_SPAM_HOLD_AT="0", MODERATION_SPAM_REJECT_AT="1",
               # This test is about the topology, not about the promotion gate: the new model is deployed.
               MODERATION_PROMOTION_TOLERANCE="0.5",
               MODERATION_INSTANCE_PATH=str(tmp_path / "instance-cli"))
    migrate = subprocess.run([sys.executable, "-m", "moderation.cli", "db", "upgrade"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr
    parts = Topology(tmp_path, env)
    try:
        instances = {name: parts.gunicorn(name) for name in ("a", "b")}
        parts.start("worker", [sys.executable, "-m", "moderation.cli", "worker"])
        url = parts.nginx(binary, [parts.ports["a"], parts.ports["b"]])
        for base in [*instances.values(), url]:
            wait_for(lambda base=base: call(base, "GET", "/readyz")[0] == 200, f"{base}/readyz", timeout=600)
        yield parts, url, instances
    except BaseException:
        print(parts.logs())
        raise
    finally:
        parts.stop()


def test_post_review_retrain_and_survive_a_killed_instance_through_nginx(topology):
    parts, url, instances = topology
    accepted: dict[str, dict] = {}

    # 1. Comments through nginx, spread over both instances.
    for n in range(12):
        status, body = call(url, "POST", "/v1/comments", comment(n), SITE)
        assert status == 201, body
        assert body["decision"] == "hold"
        accepted[body["id"]] = body
    first_version = next(iter(accepted.values()))["model_version"]

    # 2. Reviews through nginx.
    queue = call(url, "GET", "/v1/queue?limit=100", headers=MODERATOR)[1]
    assert {item["id"] for item in queue["items"]} == set(accepted)
    for index, item in enumerate(queue["items"][:8]):
        review = ({"action": "reject", "labels": {"spam": True, "toxic": False}} if index % 2 else
                  {"action": "approve", "labels": {"spam": False, "toxic": False}})
        status, body = call(url, "POST", f"/v1/comments/{item['id']}/review", review, MODERATOR)
        assert status == 200 and body["status"] in ("accepted", "rejected"), body

    # 3. Retraining is queued by whichever instance nginx picks and run by the worker; one job at a time.
    status, body = call(url, "POST", "/v1/models", {"activate": True}, MODERATOR)
    assert status == 202, body
    job_id = body["job"]["id"]
    assert call(url, "POST", "/v1/models", {}, MODERATOR)[0] == 409
    job = wait_for(lambda: (lambda j: j if j.get("status") in ("succeeded", "failed") else None)(
        call(url, "GET", f"/v1/jobs/{job_id}", headers=MODERATOR)[1]), "the training job", timeout=1800)
    assert job["status"] == "succeeded", job
    new_version = job["result"]["version"]
    assert job["result"]["activated"] and new_version != first_version
    assert job["result"]["sources"]["moderator"] + job["result"]["sources"]["moderator_held_out"] == 8

    # 4. Both instances serve it within seconds of the activation, and name it in their answers.
    for name, base in instances.items():
        wait_for(lambda base=base: call(base, "GET", "/v1/models", headers=MODERATOR)[1].get("serving_version")
                 == new_version, f"instance {name} to serve {new_version}", timeout=300)
        status, body = call(base, "POST", "/v1/comments", comment(100 + ord(name)), SITE)
        assert status == 201 and body["model_version"] == new_version, body
        accepted[body["id"]] = body

    # 5. kill -9 one instance while comments stream in through nginx: every comment that got a 201 is stored.
    outcomes: list[tuple[int, dict]] = []
    stop = threading.Event()
    counter = iter(range(1000, 100000))

    def load():
        while not stop.is_set():
            outcomes.append(call(url, "POST", "/v1/comments", comment(next(counter)), SITE))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sum(s == 201 for s, _ in outcomes) >= 10, "comments before the kill", timeout=600)
    parts.kill("a")
    killed_at = len(outcomes)
    wait_for(lambda: sum(s == 201 for s, _ in outcomes[killed_at:]) >= 10, "comments after the kill", timeout=600)
    stop.set()
    for thread in threads:
        thread.join()
    created = {body["id"]: body for status, body in outcomes if status == 201}
    assert all(status in (201, 502, 503, 504, 0) for status, _ in outcomes), {s for s, _ in outcomes}
    accepted.update(created)
    for comment_id in accepted:
        status, body = call(url, "GET", f"/v1/comments/{comment_id}", headers=SITE)
        assert status == 200 and body["id"] == comment_id, (comment_id, status, body)
    # The surviving instance answered everything after the kill; the database holds every acknowledged comment.
    stats = call(url, "GET", "/v1/stats", headers=MODERATOR)[1]
    assert stats["comments"] >= len(accepted)
