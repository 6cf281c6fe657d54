"""Nothing placed in the model store by an outsider is ever unpickled: manifests are signed with the instance secret."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import pytest

from model import ModelLoadError, ModelStore
from model.store import ARTIFACT, MANIFEST, _sha256
from moderation.cli import main
from moderation.instance import model_signing_key

PLANTED = "20300101T000000Z-0badc0de"


class Payload:
    """A pickle that runs code when it is loaded: it creates a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "code-ran"


def plant(store: ModelStore, marker: Path, signature: str | None) -> str:
    """A version whose artifact runs code, with a manifest that matches it in every checkable way but the signature."""
    real = store.manifest(store.active_version())
    directory = store.root / PLANTED
    directory.mkdir()
    joblib.dump(Payload(marker), directory / ARTIFACT)
    manifest = {**real, "version": PLANTED, "artifact_sha256": _sha256(directory / ARTIFACT)}
    manifest.pop("signature", None)
    if signature is not None:
        manifest["signature"] = signature
    (directory / MANIFEST).write_text(json.dumps(manifest))
    return PLANTED


@pytest.mark.parametrize("signature", [None, "0" * 64, "not hex", 7], ids=["unsigned", "forged", "garbage", "number"])
def test_a_planted_artifact_is_never_unpickled(model_store, marker, signature):
    version = plant(model_store, marker, signature)
    with pytest.raises(ModelLoadError, match="not signed"):
        model_store.load(version)
    with pytest.raises(ModelLoadError):
        model_store.activate(version)
    assert not marker.exists()


def test_activating_a_planted_artifact_over_http_is_refused(client, model_store, moderator_headers, marker):
    version = plant(model_store, marker, None)
    response = client.post(f"/v1/models/{version}/activate", headers=moderator_headers)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
    assert "not signed" in response.get_json()["detail"] and not marker.exists()


def test_a_planted_active_pointer_is_not_followed(model_store, app_config, marker):
    from service import create_app

    (model_store.root / "ACTIVE").write_text(plant(model_store, marker, None))
    client = create_app(app_config).test_client()
    assert client.get("/readyz").status_code == 503
    assert not marker.exists()


def test_a_store_signs_what_it_saves_and_refuses_another_instances_signature(trained_store, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(trained_store.root, copy)
    version = trained_store.active_version()
    assert ModelStore(copy, signing_key=trained_store.signing_key).load(version).version == version
    with pytest.raises(ModelLoadError, match="not signed"):
        ModelStore(copy, signing_key=b"another instance").load(version)


def test_models_sign_adopts_a_version_the_operator_vouches_for(trained_store, tmp_path, monkeypatch, capsys):
    instance = tmp_path / "instance"
    shutil.copytree(trained_store.root, instance / "models")
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("MODERATION_SECRET_KEY", "this instance's secret")
    version = trained_store.active_version()
    assert main(["models", "sign", version]) == 0
    assert f"Signed model version {version}" in capsys.readouterr().out
    assert ModelStore(instance / "models", model_signing_key("this instance's secret")).load(version)
    assert main(["models", "sign", "../../etc"]) == 2
