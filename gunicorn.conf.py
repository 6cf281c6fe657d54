"""gunicorn's settings for the service (`make run` passes -c gunicorn.conf.py; gunicorn also reads this file by
default when started from this directory). Command-line options win over these.

- Metrics: every worker is a process of its own, so prometheus_client runs in multiprocess mode, each process
  writing its samples under PROMETHEUS_MULTIPROC_DIR and /metrics adding them up. The directory must belong to
  this one gunicorn master: it is emptied at start, and a fresh temporary one is made when none is set.
- Logs: JSON lines on stderr. gunicorn's own access log is off: it would print query strings (Perspective clients
  send ?key=); the app writes its own access log (logger moderation.access) with the path only.
"""

import os
import tempfile
from pathlib import Path

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None

# Set before any worker imports prometheus_client: the library picks its mode at import.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moderation-metrics-")

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        "alembic": {"level": "WARNING"},
    },
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "formatters": {"json": {"()": "moderation.logs.JsonFormatter"}},
}


def on_starting(server):
    """Forget the samples of an earlier run: counters must start from zero with the new master."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """Drop a dead worker's live gauges (the model it served); its counters still count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
