"""The `moderation` command."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from model import ModelStore
from moderation.cli import main
from moderation.keys import KeyRing, stored_keys
from moderation.schemas import Provenance
from moderation.store import Database
from moderation.store import labels as labels_repo


def test_train_stores_and_activates_the_first_version(instance, small_data_dir, capsys):
    assert main(["train", "--data", str(small_data_dir)]) == 0
    summary = json.loads(capsys.readouterr().out)
    store = ModelStore(instance / "models")
    assert store.active_version() == summary["version"] and summary["activated"]
    assert summary["gate"]["reason"] == "no active model"
    assert main(["train", "--data", str(small_data_dir)]) == 0
    second = json.loads(capsys.readouterr().out)
    assert not second["activated"] and store.active_version() == summary["version"]
    assert second["gate"]["promote"], "the same data and seed give a model that is not worse"
    assert main(["train", "--data", str(small_data_dir), "--activate"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["activated"] and store.active_version() == third["version"]
    assert len(store.versions()) == 3


def _database(instance) -> Database:
    return Database(f"sqlite:///{instance / 'moderation.db'}")


def test_init_creates_keys_once_shows_them_once_and_stores_only_hashes(instance, small_data_dir, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("MODERATION_TRAINING_DATA", str(small_data_dir))
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    secrets = dict(re.findall(r"(site|moderator) key \(\S+\): (\S+)", out))
    assert set(secrets) == {"site", "moderator"}
    ring = KeyRing([], [], load=stored_keys(_database(instance)))
    assert {ring.authenticate(secret).role for secret in secrets.values()} == {"site", "moderator"}
    with _database(instance).reading() as connection:
        stored = " ".join(str(value) for row in connection.execute(text("SELECT * FROM api_keys")) for value in row)
    assert not any(secret in stored for secret in secrets.values()), "only digests are stored"
    assert not (instance / "keys.json").exists()
    assert ModelStore(instance / "models").active_version()
    assert main(["init"]) == 0
    assert not any(secret in capsys.readouterr().out for secret in secrets.values())
    assert (instance / "moderation.db").stat().st_mode & 0o077 == 0, "the database is private"
    assert instance.stat().st_mode & 0o077 == 0, "the instance folder is private"


def test_init_moves_an_earlier_releases_plain_keys_into_the_database(instance, small_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_TRAINING_DATA", str(small_data_dir))
    (instance / "keys.json").write_text(json.dumps({"site": ["old-site-key"], "moderator": ["old-moderator-key"]}))
    assert main(["init"]) == 0
    assert "old-site-key" not in capsys.readouterr().out
    assert not (instance / "keys.json").exists()
    ring = KeyRing([], [], load=stored_keys(_database(instance)))
    assert ring.authenticate("old-site-key").role == "site"
    assert ring.authenticate("old-moderator-key").role == "moderator"


def test_keys_create_list_and_revoke(instance, capsys):
    assert main(["keys", "create", "--role", "site", "--name", "the daily"]) == 0
    site = capsys.readouterr().out.strip()
    assert main(["keys", "create", "--role", "site", "--akismet"]) == 0
    akismet = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9a-f]{12}", akismet) and len(site) >= 40
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert site not in listing and akismet not in listing
    ring = KeyRing([], [], load=stored_keys(_database(instance)), ttl=0)
    site_key, akismet_key = ring.authenticate(site), ring.authenticate(akismet)
    assert site_key.id in listing and "the daily" in listing and akismet_key.akismet_only
    assert main(["keys", "revoke", site_key.id]) == 0
    assert ring.authenticate(site) is None and ring.authenticate(akismet) is not None
    assert main(["keys", "revoke", site_key.id]) == 2
    assert "revoked" in (main(["keys", "list"]) == 0 and capsys.readouterr().out)


def test_init_replaces_an_active_model_that_no_longer_loads(instance, small_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_TRAINING_DATA", str(small_data_dir))
    assert main(["init"]) == 0
    models = ModelStore(instance / "models")
    old = models.active_version()
    manifest = models.root / old / "manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"libraries": {"features": "0"}}))
    assert main(["init"]) == 0
    assert "cannot be loaded" in capsys.readouterr().out
    assert models.active_version() != old and models.load_active()


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


IMPORT_CASES = [
    ("native.jsonl", "jsonl",
     '{"comment": "Buy cheap pills at pills.example", "spam": 1, "toxic": 0}\n'
     '{"comment": "You absolute moron", "spam": "false", "toxic": "true", "category": "insult"}\n',
     [(True, False, None), (False, True, "insult")]),
    ("native.csv", "csv",
     "comment,name,spam,toxic\nGreat match today,Ann,0,0\nWin money now,Promo,yes,no\n",
     [(False, False, None), (True, False, None)]),
    ("Youtube01-Psy.csv", "csv",
     "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\nx1,Some One,2014-01-01,check out my channel,1\nx2,A,,love it,0\n",
     [(True, False, None), (False, False, None)]),
    ("olid.tsv", "csv",
     "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n1\t@USER you are a clown\tOFF\tTIN\tIND\n"
     "2\tnice weather\tNOT\tNULL\tNULL\n",
     [(False, True, "other"), (False, False, None)]),
]


@pytest.mark.parametrize(("filename", "file_format", "content", "expected"), IMPORT_CASES,
                         ids=[case[0] for case in IMPORT_CASES])
def test_import_reads_native_youtube_and_olid_layouts(instance, tmp_path, capsys, filename, file_format, content,
                                                     expected):
    path = tmp_path / filename
    path.write_text(content)
    assert main(["import", str(path), "--format", file_format]) == 0
    assert f"imported {len(expected)}" in capsys.readouterr().out
    with Database(f"sqlite:///{instance / 'moderation.db'}").reading() as connection:
        stored = labels_repo.every(connection)
    assert sorted((bool(e.spam), bool(e.toxic), e.category) for e in stored) == sorted(expected)
    assert {e.provenance for e in stored} == {Provenance.IMPORT}


@pytest.mark.parametrize(("content", "message"), [
    ('{"comment": "x", "spam": 3, "toxic": 0}\n', "spam=3"),
    ('{"comment": "", "spam": 1, "toxic": 0}\n', "comment: Must be 1 to"),
    ("not json\n", "not JSON"),
])
def test_import_rejects_bad_rows_naming_the_line(instance, tmp_path, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    assert main(["import", str(path), "--format", "jsonl"]) == 2
    error = capsys.readouterr().err
    assert "bad.jsonl:1" in error and message in error
