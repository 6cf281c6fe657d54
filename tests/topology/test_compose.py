"""docker-compose.yml and the Dockerfile, checked without a Docker engine: `docker-compose config` validates the
file (Debian's docker-compose package, installed by .ci/install-topology)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"POSTGRES_PASSWORD": "password", "MODERATION_SECRET_KEY": "secret"}


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        reason = "docker-compose is not installed (run .ci/install-topology)"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    environment = {k: v for k, v in os.environ.items() if k not in REQUIRED} | (env or {})
    return subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", *args], cwd=ROOT,  # noqa: S603
                          env=environment, capture_output=True, text=True, timeout=120)


def test_compose_file_is_valid_and_has_the_production_topology():
    result = _compose("-q", env=REQUIRED)
    assert result.returncode == 0, result.stderr
    services = _compose("--services", env=REQUIRED).stdout.split()
    assert sorted(services) == ["app", "db", "migrate", "nginx", "worker"]
    assert _compose("--volumes", env=REQUIRED).stdout.split() == ["models", "pgdata"]
    rendered = _compose(env=REQUIRED).stdout
    assert "replicas: 2" in rendered and "pg_isready" in rendered and "service_completed_successfully" in rendered


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_to_start_without_its_secrets(missing):
    result = _compose("-q", env={k: v for k, v in REQUIRED.items() if k != missing})
    assert result.returncode != 0 and missing in result.stderr


def test_the_image_runs_as_an_unprivileged_user():
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
