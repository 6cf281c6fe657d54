"""The model store: versioned artifacts with manifests, checked before they are loaded."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy
import scipy
import sklearn

from model.classifier import ModerationModel
from model.features import FEATURES_VERSION
from model.training import TrainingResult

ARTIFACT = "model.joblib"
MANIFEST = "manifest.json"
ACTIVE = "ACTIVE"
_VERSION = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")


class ModelLoadError(Exception):
    """An artifact that must not be loaded: missing, tampered with, or built with other libraries."""


def library_versions() -> dict[str, str]:
    """The versions an artifact depends on; a pickle is only safe to load under the same ones. Our own
    feature extraction counts too: a model scored by other normalisation code than it learnt from is wrong."""
    return {"scikit-learn": sklearn.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "joblib": joblib.__version__, "python": platform.python_version(), "features": FEATURES_VERSION}


def _pinned(versions: dict[str, str]) -> dict[str, str]:
    # Python's patch level does not change pickles; the rest must match exactly.
    pinned = dict(versions)
    pinned["python"] = ".".join(pinned.get("python", "").split(".")[:2])
    return pinned


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _signature(key: bytes, manifest: dict) -> str:
    unsigned = {name: value for name, value in manifest.items() if name != "signature"}
    return hmac.new(key, json.dumps(unsigned, sort_keys=True).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, with the manifest it was checked against."""

    model: ModerationModel
    manifest: dict

    @property
    def version(self) -> str:
        """The version id from the manifest."""
        return self.manifest["version"]


class ModelStore:
    """A directory of model versions: <root>/<version>/{model.joblib,manifest.json} and an ACTIVE pointer.

    With a signing key, every manifest saved is signed (HMAC-SHA256) and no artifact is unpickled unless its
    manifest's signature checks: the hash in a manifest proves nothing if whoever placed the artifact also wrote
    the manifest beside it. Without one (a notebook, a benchmark), manifests are neither signed nor checked.
    """

    def __init__(self, root: str | os.PathLike, signing_key: bytes | None = None):
        self.root = Path(root).resolve()
        self.signing_key = signing_key

    def save(self, result: TrainingResult, **extra) -> dict:
        """Write a new version and return its manifest; it is not activated."""
        now = datetime.now(UTC)
        version = f"{now:%Y%m%dT%H%M%SZ}-{os.urandom(4).hex()}"
        directory = self.root / version
        directory.mkdir(parents=True)
        joblib.dump(result.model, directory / ARTIFACT, compress=3)
        manifest = {
            "version": version,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "libraries": library_versions(),
            "training_data": result.data,
            "metrics": result.metrics,
            "thresholds": result.thresholds,
            "artifact_sha256": _sha256(directory / ARTIFACT),
            **extra,
        }
        if self.signing_key is not None:
            manifest["signature"] = _signature(self.signing_key, manifest)
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        return manifest

    def _directory(self, version: str) -> Path:
        if not _VERSION.match(version or ""):
            raise ModelLoadError(f"not a model version id: {version!r}")
        directory = (self.root / version).resolve()
        if directory.parent != self.root or not directory.is_dir():
            raise ModelLoadError(f"model version {version} is not in the model store {self.root}")
        return directory

    def manifest(self, version: str) -> dict:
        """The manifest of one version."""
        path = self._directory(version) / MANIFEST
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"model version {version} has no readable manifest: {error}") from error

    def versions(self) -> list[dict]:
        """Manifests of every stored version, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if _VERSION.match(path.name) and (path / MANIFEST).is_file():
                try:
                    found.append(self.manifest(path.name))
                except ModelLoadError:
                    continue
        return sorted(found, key=lambda m: m["version"], reverse=True)

    def active_version(self) -> str | None:
        """The version the ACTIVE pointer names, if any."""
        try:
            return (self.root / ACTIVE).read_text().strip() or None
        except FileNotFoundError:
            return None

    def activate(self, version: str) -> None:
        """Point ACTIVE at a version, atomically, after checking that it loads."""
        self.load(version)
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.root, delete=False) as handle:
            handle.write(version)
        os.replace(handle.name, self.root / ACTIVE)

    def load(self, version: str) -> LoadedModel:
        """Load one version after checking its hash and library versions against the manifest."""
        directory = self._directory(version)
        manifest = self.manifest(version)
        self.check_signature(version, manifest)
        artifact = directory / ARTIFACT
        if not artifact.is_file():
            raise ModelLoadError(f"model version {version} has no artifact file")
        if _sha256(artifact) != manifest.get("artifact_sha256"):
            raise ModelLoadError(f"model version {version}: artifact hash does not match its manifest")
        expected, running = _pinned(manifest.get("libraries", {})), _pinned(library_versions())
        mismatched = {name: (expected.get(name), have) for name, have in running.items()
                      if expected.get(name) != have}
        if mismatched:
            detail = ", ".join(f"{name} {want} (running {have})" for name, (want, have) in mismatched.items())
            raise ModelLoadError(
                f"model version {version} was built with other library versions: {detail}. "
                "Train a new model with `moderation init` or `moderation train`"
                + (" or install the versions it names." if set(mismatched) - {"features"} else ".")
            )
        try:
            model = joblib.load(artifact)
        except Exception as error:  # a corrupt pickle can raise almost anything
            raise ModelLoadError(f"model version {version} could not be unpickled: {error}") from error
        if not isinstance(model, ModerationModel):
            raise ModelLoadError(f"model version {version} does not hold a ModerationModel")
        return LoadedModel(model=model, manifest=manifest)

    def check_signature(self, version: str, manifest: dict) -> None:
        """Raise ModelLoadError unless the manifest carries this store's signature (when it has a key)."""
        if self.signing_key is None:
            return
        signature = manifest.get("signature")
        if not isinstance(signature, str) or not hmac.compare_digest(signature,
                                                                      _signature(self.signing_key, manifest)):
            raise ModelLoadError(f"model version {version}: its manifest is not signed with this instance's secret "
                                 "(was it copied from elsewhere? `moderation models sign` adopts it)")

    def sign(self, version: str) -> None:
        """Sign an existing version's manifest with this store's key: the operator vouches for it."""
        manifest = self.manifest(version)
        manifest["signature"] = _signature(self.signing_key, manifest)
        (self._directory(version) / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))

    def load_active(self) -> LoadedModel:
        """Load the active version; raises ModelLoadError if there is none."""
        version = self.active_version()
        if version is None:
            raise ModelLoadError(f"no active model in {self.root}; run `moderation train`")
        return self.load(version)
