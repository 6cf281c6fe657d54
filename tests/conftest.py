"""Shared fixtures: a small model trained once per session, and an app per test on its own database."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from model import ModelStore, load_training_data, train_model
from moderation.cli import main
from moderation.instance import model_signing_key
from moderation.limits import DEFAULT_LIMITS
from moderation.retraining import gather
from moderation.store import Database
from service import create_app

TRAINING_DATA = Path(__file__).resolve().parent.parent / "training_data"
SECRET_KEY = "secret-key-for-tests"
SITE_KEY = "site-key-for-tests"
NO_RATE_LIMITS = {name: "" for name in DEFAULT_LIMITS}  # an empty limit is off; a missing one is the default
MODERATOR_KEY = "moderator-key-for-tests"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's service settings."""
    for name in list(os.environ):
        if name.startswith("MODERATION_") or name in ("DATABASE_URL", "WEB_CONCURRENCY"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def small_examples():
    """Every sixth training example: enough to learn from, quick to fit."""
    return load_training_data(TRAINING_DATA)[::6]


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory, small_examples):
    """The small training set as a training_data/ folder, for tests that train through the API or CLI."""
    directory = tmp_path_factory.mktemp("training_data")
    with (directory / "sample.jsonl").open("w") as handle:
        for e in small_examples:
            record = {"comment": e.comment, "name": e.name, "email": e.email, "url": e.url, "spam": e.spam,
                      "toxic": e.toxic, "category": e.category, "topic": "general", "tags": []}
            handle.write(json.dumps(record) + "\n")
    return directory


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory, small_data_dir):
    """A model store holding two small models trained once per session, the way the service trains
    (the frozen evaluation part held out); the older one is active."""
    store = ModelStore(tmp_path_factory.mktemp("models"), signing_key=model_signing_key(SECRET_KEY))
    training = gather(small_data_dir, None)
    first = store.save(train_model(training.train))
    store.save(train_model(training.train, seed=1))
    store.activate(first["version"])
    return store


@pytest.fixture
def model_store(trained_store, tmp_path):
    """A private copy of the session's model store, so a test may change it freely."""
    root = tmp_path / "models"
    shutil.copytree(trained_store.root, root)
    return ModelStore(root, signing_key=trained_store.signing_key)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """An SQLite database file with every migration applied, made once per session."""
    path = tmp_path_factory.mktemp("database") / "migrated.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture
def database_url(tmp_path, migrated_database):
    """A fresh, migrated SQLite database of the test's own."""
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder (MODERATION_INSTANCE_PATH) for CLI tests, whose database the migrations have reached."""
    path = tmp_path / "instance"
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(path))
    assert main(["db", "upgrade"]) == 0
    return path


@pytest.fixture
def app_config(database_url, model_store, small_data_dir):
    """The test configuration: its own SQLite file, model store and keys."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "MODEL_DIR": str(model_store.root),
        "SITE_KEYS": [SITE_KEY],
        "MODERATOR_KEYS": [MODERATOR_KEY],
        "MODEL_CHECK_SECONDS": 0.0,
        "TRAINING_DATA_DIR": str(small_data_dir),
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


def failing_fields(response) -> set[str]:
    """The top-level fields a problem+json response names (its errors are keyed by dotted paths)."""
    return {path.split(".")[0] for path in response.get_json()["errors"]}
