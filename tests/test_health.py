"""Liveness and readiness."""

from __future__ import annotations

from service import create_app


def test_healthz_needs_no_key(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ready_with_model_and_database(client, model_store):
    body = client.get("/readyz").get_json()
    assert body == {"status": "ready", "model_version": model_store.active_version()}


def test_not_ready_without_a_model(app_config, tmp_path):
    client = create_app({**app_config, "MODEL_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "model" in response.get_json()["errors"]
    assert client.get("/healthz").status_code == 200


def test_starts_but_is_not_ready_without_the_database(app_config, tmp_path):
    unreachable = f"sqlite:///{tmp_path}/no/such/directory/moderation.db"
    client = create_app({**app_config, "DATABASE_URL": unreachable}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.get_json()["errors"]
