"""Liveness and readiness probes, and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from redis import RedisError

from moderation.metrics import JobsCollector, exposition
from moderation.schemas import Health, Ready
from service.errors import ApiError
from service.extensions import active_model, database, redis_client
from service.observability import authorise_scrape
from service.operations import openapi_document, operation

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation(key=None, responses={200: Health}, tags=["health"])
def healthz():
    """The process is alive."""
    return Health(status="ok")


@bp.get("/readyz")
@operation(key=None, responses={200: Ready}, errors=(503,), tags=["health"])
def readyz():
    """Ready only when a model is loaded, the database answers and so does Redis, where one is configured."""
    loaded = active_model().get()
    problems = {}
    if loaded is None:
        problems["model"] = [active_model().error or "No model is loaded."]
    if not database().ping():
        problems["database"] = ["The database is not reachable."]
    redis = redis_client()
    if redis is not None:
        try:
            redis.ping()
        except RedisError as error:
            problems["redis"] = [f"Redis is not reachable ({type(error).__name__})."]
    if problems:
        raise ApiError(503, "Service Unavailable", "The service is not ready.", errors=problems, slug="not-ready")
    return Ready(status="ready", model_version=loaded.version)


@bp.get("/metrics")
@operation(key=None, responses={200: None}, errors=(401, 403), tags=["health"])
def metrics():
    """Prometheus metrics of every worker (text format); needs the metrics key or a moderator key."""
    authorise_scrape()
    body, content_type = exposition([JobsCollector(database())])
    return Response(body, content_type=content_type)


@bp.get("/openapi.json")
@operation(key=None, responses={200: None}, tags=["health"])
def openapi():
    """This document: OpenAPI 3.1, generated from the schemas the service validates and answers with."""
    return jsonify(openapi_document())
