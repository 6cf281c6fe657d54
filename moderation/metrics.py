"""Prometheus metrics: what the service counts, and the exposition every scrape reads.

Under gunicorn each worker is a process of its own, so prometheus_client runs in multiprocess mode: when
PROMETHEUS_MULTIPROC_DIR is set (gunicorn.conf.py sets it before any worker starts) every process, training
children included, writes its samples to files there and a scrape adds them up. Without it (a single process,
the tests) the samples live in this process's default registry.

Queue depth is not counted by any process: it is read from the jobs table at scrape time, so it is right
whichever process queued or ran the jobs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from moderation.store import Database, StoreUnavailable
from moderation.store.tables import jobs

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("moderation_http_requests", "HTTP requests answered, by endpoint (the route, not the path), "
                   "method and status.", ["endpoint", "method", "status"])
LATENCY = Histogram("moderation_http_request_duration_seconds", "Time from the start of the request to its "
                    "answer, by endpoint, method and status.", ["endpoint", "method", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
DECISIONS = Counter("moderation_decisions", "Decisions given, by outcome; stored is false for previews "
                    "(POST /v1/analyze) that keep nothing.", ["decision", "stored"])
REASONS = Counter("moderation_decision_reasons", "Reasons given with decisions, by reason code and the action it "
                  "asked for; shadow reasons were recorded but not obeyed.", ["code", "action", "shadow", "stored"])
# livemax: a version is reported as served while any live worker serves it (1) and dropped with the worker.
SERVING_MODEL = Gauge("moderation_model_serving", "1 for the model version a worker serves.", ["version"],
                      multiprocess_mode="livemax")
TRAINING_RUNS = Counter("moderation_training_runs", "Training jobs that ended, by result: activated, "
                        "not_activated (stored, gate or request kept the old one) or failed.", ["result"])
TRAINING_DURATION = Histogram("moderation_training_duration_seconds", "How long a training job ran, by result.",
                              ["result"], buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600))

_serving: str | None = None


def multiprocess() -> bool:
    """Whether samples are shared through PROMETHEUS_MULTIPROC_DIR (gunicorn) rather than kept in this process."""
    return bool(os.environ.get(MULTIPROC_VARIABLE))


def record_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    labels = (endpoint, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def record_decision(decision: str, reasons: Iterable, stored: bool) -> None:
    """Count one decision and each of its reasons."""
    flag = "true" if stored else "false"
    DECISIONS.labels(str(decision), flag).inc()
    for reason in reasons:
        REASONS.labels(str(reason.code), str(reason.action), "true" if reason.shadow else "false", flag).inc()


def record_serving(version: str) -> None:
    """This process now serves version (and no longer the one before)."""
    global _serving
    if _serving is not None and _serving != version:
        SERVING_MODEL.labels(_serving).set(0)
    SERVING_MODEL.labels(version).set(1)
    _serving = version


def record_training(result: str, seconds: float) -> None:
    """Count one finished training job and how long it ran."""
    TRAINING_RUNS.labels(result).inc()
    TRAINING_DURATION.labels(result).observe(seconds)


class JobsCollector(Collector):
    """Queue depth read from the jobs table at scrape time: jobs waiting (queued) and running, by kind."""

    def __init__(self, database: Database):
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The jobs gauges (nothing when the database does not answer: /readyz reports that)."""
        try:
            with self.database.reading() as connection:
                rows = connection.execute(select(jobs.c.kind, jobs.c.status, func.count())
                                          .where(jobs.c.status.in_(("queued", "running")))
                                          .group_by(jobs.c.kind, jobs.c.status)).all()
        except StoreUnavailable:
            return
        for status, name, text in (("queued", "moderation_jobs_waiting", "Jobs queued and not started, by kind."),
                                   ("running", "moderation_jobs_running", "Jobs running now, by kind.")):
            family = GaugeMetricFamily(name, text, labels=["kind"])
            counts = {kind: count for kind, row_status, count in rows if row_status == status}
            # Training is always reported, so an empty queue reads 0 rather than no data.
            for kind in sorted({"train", *counts}):
                family.add_metric([kind], counts.get(kind, 0))
            yield family


def exposition(collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text a scrape gets and its content type: every process's samples, plus the given collectors."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    extra = CollectorRegistry()
    for collector in collectors:
        extra.register(collector)
    return body + generate_latest(extra), CONTENT_TYPE_LATEST
