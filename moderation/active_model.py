"""The model that is serving now, swapped for a newly activated version without a restart."""

from __future__ import annotations

import logging
import threading
import time

from model import LoadedModel, ModelLoadError, ModelStore
from moderation.metrics import record_serving

log = logging.getLogger(__name__)


class ActiveModel:
    """Holds the loaded active model and follows the store's ACTIVE pointer.

    Each request takes one LoadedModel reference and scores with it, so a swap never leaves a
    comment half-scored by two versions.
    """

    def __init__(self, store: ModelStore, check_interval: float = 2.0):
        self.store = store
        self.check_interval = check_interval
        self._current: LoadedModel | None = None
        self._error: str | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the active version now, keeping the current model if the new one is refused."""
        version = self.store.active_version()
        if version is None:
            self._error = f"no active model in {self.store.root}; run `moderation train`"
            return
        if self._current is not None and self._current.version == version:
            return
        try:
            loaded = self.store.load(version)
        except ModelLoadError as error:
            self._error = str(error)
            log.error("refusing model %s: %s", version, error)
            return
        self._current, self._error = loaded, None
        record_serving(version)
        log.info("serving model %s", version)

    def get(self) -> LoadedModel | None:
        """The model to score with; rechecks the ACTIVE pointer at most every check_interval seconds."""
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval and self._lock.acquire(blocking=False):
            try:
                self._checked_at = now
                self.load()
            finally:
                self._lock.release()
        return self._current

    @property
    def error(self) -> str | None:
        """Why the active version is not being served, if it is not."""
        return self._error
