"""Background training jobs: each runs in its own process, so training never competes with requests
for the interpreter, and its state lives in the database so that every worker can report it."""

from __future__ import annotations

import logging
import multiprocessing
import threading

from moderation.retraining import run_training_job
from moderation.schemas import JobStatus
from moderation.store import Database
from moderation.store import jobs as jobs_repo

log = logging.getLogger(__name__)


class JobRunner:
    """Starts training processes and marks a job failed if its process dies without saying so."""

    def __init__(self, settings: dict, database: Database):
        self.settings = {key: settings[key] for key in (
            "DATABASE_URL", "MODEL_DIR", "TRAINING_DATA_DIR", "LABEL_WEIGHT", "REPORT_WEIGHT", "IMPORT_WEIGHT",
            "REPORT_KEY_SHARE", "PROMOTION_TOLERANCE", "SECRET_KEY")}
        self.database = database
        self.enabled = settings["RUN_JOBS"]
        # spawn, not fork: a forked copy of a threaded web worker can inherit held locks.
        self._context = multiprocessing.get_context("spawn")

    def start_training(self, job_id: str) -> None:
        """Run a queued training job in a new process; returns at once (leaves it queued when disabled)."""
        if not self.enabled:
            return
        process = self._context.Process(target=run_training_job, args=(self.settings, job_id),
                                        name=f"train-{job_id}", daemon=True)
        process.start()
        threading.Thread(target=self._reap, args=(process, job_id), daemon=True).start()

    def _reap(self, process, job_id: str) -> None:
        process.join()
        with self.database.transaction() as connection:
            job = jobs_repo.get(connection, job_id)
            if job and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                log.error("training process for job %s exited with %s", job_id, process.exitcode)
                jobs_repo.set_status(connection, job_id, JobStatus.FAILED,
                                     error=f"training process exited with code {process.exitcode}")
