"""The `moderation` command."""

from __future__ import annotations

import json

import pytest

from model import ModelStore
from moderation.cli import main


@pytest.fixture
def small_data_dir(tmp_path, small_examples):
    directory = tmp_path / "data"
    directory.mkdir()
    with (directory / "sample.jsonl").open("w") as handle:
        for e in small_examples[::2]:
            record = {"comment": e.comment, "name": e.name, "email": e.email, "url": e.url, "spam": e.spam,
                      "toxic": e.toxic, "category": e.category, "topic": "general", "tags": []}
            handle.write(json.dumps(record) + "\n")
    return directory


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(path))
    return path


def test_train_stores_and_activates_the_first_version(instance, small_data_dir, capsys):
    assert main(["train", "--data", str(small_data_dir)]) == 0
    summary = json.loads(capsys.readouterr().out)
    store = ModelStore(instance / "models")
    assert store.active_version() == summary["version"] and summary["active"]
    assert main(["train", "--data", str(small_data_dir)]) == 0
    second = json.loads(capsys.readouterr().out)
    assert not second["active"] and store.active_version() == summary["version"]
    assert len(store.versions()) == 2


def test_init_generates_keys_once_and_trains(instance, small_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_TRAINING_DATA", str(small_data_dir))
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    keys = json.loads((instance / "keys.json").read_text())
    assert keys["site"][0] in out and keys["moderator"][0] in out
    assert (instance / "keys.json").stat().st_mode & 0o077 == 0, "the keys file is private"
    assert ModelStore(instance / "models").active_version()
    assert main(["init"]) == 0
    assert keys["site"][0] not in capsys.readouterr().out
    assert json.loads((instance / "keys.json").read_text()) == keys


def test_bad_settings_are_a_clear_error(instance, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_SPAM_HOLD_AT", "lots")
    assert main(["init"]) == 2
    assert "MODERATION_SPAM_HOLD_AT" in capsys.readouterr().err


def test_bad_training_data_is_a_clear_error(instance, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.jsonl").write_text(json.dumps({"comment": "hi"}) + "\n")
    assert main(["train", "--data", str(bad)]) == 2
    assert "x.jsonl:1" in capsys.readouterr().err
