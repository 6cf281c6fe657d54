"""Shared fixtures: a small model trained once per session, and an app per test on its own database."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from model import ModelStore, load_training_data, train_model
from service import create_app

TRAINING_DATA = Path(__file__).resolve().parent.parent / "training_data"
SITE_KEY = "site-key-for-tests"
MODERATOR_KEY = "moderator-key-for-tests"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's service settings."""
    for name in list(os.environ):
        if name.startswith("MODERATION_") or name in ("DATABASE_URL", "WEB_CONCURRENCY"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def small_examples():
    """Every fourth training example: enough to learn from, quick to fit."""
    return load_training_data(TRAINING_DATA)[::4]


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory, small_examples):
    """A model store holding one small model, trained once per session and active."""
    store = ModelStore(tmp_path_factory.mktemp("models"))
    manifest = store.save(train_model(small_examples))
    store.activate(manifest["version"])
    return store


@pytest.fixture
def model_store(trained_store, tmp_path):
    """A private copy of the session's model store, so a test may change it freely."""
    root = tmp_path / "models"
    shutil.copytree(trained_store.root, root)
    return ModelStore(root)


@pytest.fixture
def app_config(tmp_path, model_store):
    """The test configuration: its own SQLite file, model store and keys."""
    return {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "MODEL_DIR": str(model_store.root),
        "SITE_KEYS": [SITE_KEY],
        "MODERATOR_KEYS": [MODERATOR_KEY],
        "MODEL_CHECK_SECONDS": 0.0,
    }


@pytest.fixture
def app(app_config):
    """The app under test."""
    return create_app(app_config)


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def site_headers():
    """Authorization for a site key."""
    return {"Authorization": f"Bearer {SITE_KEY}"}


@pytest.fixture
def moderator_headers():
    """Authorization for a moderator key."""
    return {"Authorization": f"Bearer {MODERATOR_KEY}"}
