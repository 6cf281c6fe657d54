"""The instance folder: private state of one installation (SQLite database, model store, secret key)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from model import ModelStore

SECRET_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)
SECRET_VARIABLE = "MODERATION_SECRET_KEY"  # noqa: S105 (a variable name)


def private_folder(path: str | os.PathLike) -> Path:
    """path as a folder only the service's user can enter (0700), created if missing."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the service's user only (0600), atomically."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def secret_key(instance: str | os.PathLike, environ=os.environ) -> str:
    """The instance's secret: signs sessions and model manifests and salts hashed addresses.

    From MODERATION_SECRET_KEY when set (every replica of a deployment must share it), otherwise kept in
    instance/secret.key (0600), generated on first use.
    """
    if environ.get(SECRET_VARIABLE):
        return environ[SECRET_VARIABLE]
    path = private_folder(instance) / SECRET_FILE
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker made it first
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def model_signing_key(secret: str) -> bytes:
    """The key that signs model manifests, derived from the instance secret (one secret, one purpose per key)."""
    return hmac.new(secret.encode(), b"model-manifests", hashlib.sha256).digest()


def model_store(settings) -> ModelStore:
    """The instance's model store: manifests signed, and checked before loading, with its secret."""
    return ModelStore(settings["MODEL_DIR"], signing_key=model_signing_key(settings["SECRET_KEY"]))
