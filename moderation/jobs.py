"""The work queue's consumer: `moderation worker` runs this loop, and so does a thread of each web process when
no worker is configured (MODERATION_JOBS=inline, the single-host default).

Jobs live in the database (moderation/store/jobs.py), written in the same transaction as the change that
caused them, so a job exists if and only if its cause was committed, and a restart loses none. Training runs
in a child process so that its memory (hundreds of MB) is returned when it ends and a crash in it cannot take
the worker down; while it runs the worker sends heartbeats, and a job whose heartbeat stops (its worker was
killed) is taken back by the next worker that looks.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Collection
from dataclasses import asdict
from datetime import timedelta

from moderation import webhooks
from moderation.privacy import PURGE_JOB, IpPolicy, purge
from moderation.schemas import Job, JobStatus
from moderation.store import Database, StoreUnavailable
from moderation.store import audit as audit_repo
from moderation.store import jobs as jobs_repo
from moderation.store.db import utcnow

log = logging.getLogger(__name__)
KINDS = (jobs_repo.TRAIN, jobs_repo.WEBHOOK, PURGE_JOB)
HEARTBEAT_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 3600.0
# A training run that was cut off (its worker killed) gets one more try; one that raised does not.
TRAIN_ATTEMPTS = 2
WORKER_SETTINGS = ("DATABASE_URL", "MODEL_DIR", "TRAINING_DATA_DIR", "LABEL_WEIGHT", "REPORT_WEIGHT", "IMPORT_WEIGHT",
                   "REPORT_KEY_SHARE", "PROMOTION_TOLERANCE", "SECRET_KEY", "STORE_IP",
                   "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_ATTEMPTS", "WEBHOOK_BACKOFF", "JOB_STALE_SECONDS",
                   "WORKER_POLL_SECONDS")


class JobFailed(Exception):
    """This attempt failed; retry says whether another attempt may succeed."""

    def __init__(self, message: str, retry: bool = True):
        super().__init__(message)
        self.retry = retry


def _train_child(settings: dict, request: dict, pipe) -> None:
    """Body of the training process: train, then send the result (or the error) to the worker."""
    from moderation.logs import configure as configure_logs
    from moderation.metrics import record_training
    from moderation.retraining import train_new_version

    configure_logs()
    database = Database(settings["DATABASE_URL"])
    started = time.monotonic()
    try:
        result = train_new_version(settings, database, bool(request.get("activate")))
    except Exception as error:  # the job must end failed, whatever went wrong
        log.exception("training failed")
        record_training("failed", time.monotonic() - started)
        pipe.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"))
    else:
        record_training("activated" if result["activated"] else "not_activated", time.monotonic() - started)
        log.info("training stored model %s", result["version"],
                 extra={"seconds": round(time.monotonic() - started, 1), "activated": result["activated"]})
        pipe.send(("ok", result))
    finally:
        database.dispose()


class Worker:
    """Claims due jobs of some kinds, runs them, and records how they ended (retrying what may succeed later)."""

    def __init__(self, settings: dict, database: Database, kinds: Collection[str] = KINDS, name: str | None = None):
        self.settings = {key: settings[key] for key in WORKER_SETTINGS}
        self.database = database
        self.kinds = tuple(kinds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        # spawn, not fork: a forked copy of a threaded web worker can inherit held locks.
        self._context = multiprocessing.get_context("spawn")
        self._handlers: dict[str, Callable[[Job], dict]] = {
            jobs_repo.TRAIN: self._train, jobs_repo.WEBHOOK: self._deliver, PURGE_JOB: self._purge}

    def run_once(self) -> bool:
        """Take back abandoned jobs, then run one due job if there is one; returns whether one ran."""
        self.reap()
        with self.database.transaction() as connection:
            job = jobs_repo.claim(connection, self.kinds, self.name)
        if job is None:
            return False
        self._run(job)
        return True

    def run(self, stop: threading.Event, idle_exit: Callable[[], bool] | None = None) -> None:
        """Run jobs until stop is set (or, with idle_exit, until the queue is empty and idle_exit agrees)."""
        log.info("worker %s takes %s jobs", self.name, ", ".join(self.kinds))
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
                if idle_exit is not None and idle_exit():
                    return
            except StoreUnavailable as error:
                log.warning("worker %s: %s", self.name, error)
                if idle_exit is not None:
                    return
            stop.wait(self.settings["WORKER_POLL_SECONDS"])

    def reap(self) -> list[str]:
        """Take back running jobs whose worker stopped sending heartbeats; returns their ids."""
        now = utcnow()
        with self.database.transaction() as connection:
            taken = jobs_repo.abandoned(connection, now - timedelta(seconds=self.settings["JOB_STALE_SECONDS"]))
            for job in taken:
                error = f"its worker stopped sending heartbeats during attempt {job.attempts}"
                if job.attempts < self._attempts(job.kind):
                    jobs_repo.retry(connection, job.id, now, error)
                else:
                    jobs_repo.finish(connection, job.id, JobStatus.FAILED, error=error)
                log.warning("job %s (%s): %s", job.id, job.kind, error)
        return [job.id for job in taken]

    def _attempts(self, kind: str) -> int:
        return self.settings["WEBHOOK_ATTEMPTS"] if kind == jobs_repo.WEBHOOK else TRAIN_ATTEMPTS

    def _run(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                raise JobFailed(f"no handler for jobs of kind {job.kind!r}", retry=False)
            result = handler(job)
        except Exception as error:  # whatever a handler raises ends this attempt, never the worker
            retry = error.retry if isinstance(error, JobFailed) else True
            self._failed(job, f"{type(error).__name__}: {error}", retry)
            return
        with self.database.transaction() as connection:
            jobs_repo.finish(connection, job.id, JobStatus.SUCCEEDED, result=result)
            if job.kind == jobs_repo.TRAIN:
                audit_repo.record(connection, job.created_by, "model.trained", result["version"],
                                  {"job": job.id, "activated": result["activated"], "gate": result["gate"],
                                   "previous": result["previous_version"] if result["activated"] else None})

    def _failed(self, job: Job, error: str, retry: bool) -> None:
        with self.database.transaction() as connection:
            if retry and job.attempts < self._attempts(job.kind):
                delay = min(self.settings["WEBHOOK_BACKOFF"] * 2 ** (job.attempts - 1), MAX_BACKOFF_SECONDS)
                jobs_repo.retry(connection, job.id, utcnow() + timedelta(seconds=delay), error)
                log.warning("job %s (%s) attempt %d failed, retrying in %.1f s: %s", job.id, job.kind,
                            job.attempts, delay, error)
            else:
                jobs_repo.finish(connection, job.id, JobStatus.FAILED, error=error)
                log.error("job %s (%s) failed after %d attempts: %s", job.id, job.kind, job.attempts, error)

    def _train(self, job: Job) -> dict:
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_train_child, args=(self.settings, job.request, send),
                                        name=f"train-{job.id}", daemon=True)
        process.start()
        send.close()
        try:
            while process.is_alive() and not receive.poll(HEARTBEAT_SECONDS):
                with self.database.transaction() as connection:
                    jobs_repo.heartbeat(connection, job.id, self.name)
            try:
                outcome, value = receive.recv()
            except EOFError:
                process.join()
                raise JobFailed(f"the training process exited with code {process.exitcode}", retry=False) from None
        finally:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        if outcome != "ok":
            raise JobFailed(value, retry=False)
        return value

    def _purge(self, job: Job) -> dict:
        policy = IpPolicy(self.settings["STORE_IP"], self.settings["SECRET_KEY"])
        return asdict(purge(self.database, job.request["older_than_days"], actor=f"job:{job.id}", ip_policy=policy))

    def _deliver(self, job: Job) -> dict:
        if not (self.settings["WEBHOOK_URL"] and self.settings["WEBHOOK_SECRET"]):
            raise JobFailed("no webhook URL and secret are configured", retry=False)
        status = webhooks.deliver(self.settings["WEBHOOK_URL"], self.settings["WEBHOOK_SECRET"],
                                  job.request["event"])
        return {"status": status}


class JobRunner:
    """The web process's side of the queue.

    With MODERATION_JOBS=worker it only enqueues (jobs are rows written by the request's own transaction).
    Inline, the single-host default, it also runs a Worker in a thread of this process while there is work;
    the thread ends when the queue is empty and starts again when something is queued.
    """

    def __init__(self, settings: dict, database: Database):
        self.enabled = settings["RUN_JOBS"]
        self.database = database
        self._worker = Worker(settings, database, name=f"{socket.gethostname()}:{os.getpid()}:web")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.enabled:
            try:
                with database.reading() as connection:
                    waiting = jobs_repo.pending(connection)
            except StoreUnavailable:
                waiting = 0
            if waiting:
                # Jobs queued before a restart (or taken back from a dead process) are not forgotten.
                self.wake()

    def wake(self) -> None:
        """Make sure something runs the queued jobs (a no-op where a separate worker does)."""
        if not self.enabled:
            return
        with self._lock:
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jobs", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current job."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _idle(self) -> bool:
        with self._lock:
            if self._wake.is_set():
                self._wake.clear()
                return False
            with self.database.reading() as connection:
                if jobs_repo.pending(connection, self._worker.kinds):
                    return False
            self._thread = None
            return True

    def _run(self) -> None:
        try:
            self._worker.run(self._stop, idle_exit=self._idle)
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
