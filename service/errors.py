"""One error shape for every 4xx and 5xx: RFC 9457 problem details as application/problem+json."""

from __future__ import annotations

import logging

from flask import Flask, Response
from pydantic import BaseModel, Field
from werkzeug.exceptions import HTTPException

from moderation.moderate import ModelUnavailable
from moderation.rules import RateLimited
from moderation.store import StoreUnavailable

PROBLEM = "application/problem+json"
PROBLEM_TYPE_BASE = "https://moderation.invalid/problems/"
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An error: what kind (type), a short title, the HTTP status, a sentence for people, and the failing fields."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict, description="Messages per failing field (a dotted "
                                                                           "path; `_body` for the body itself).")


class ApiError(Exception):
    """An error that becomes a problem+json response."""

    def __init__(self, status: int, title: str, detail: str = "", errors: dict[str, list[str]] | None = None,
                 slug: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail or title
        self.errors = errors or {}
        self.slug = slug or title.lower().replace(" ", "-")
        self.headers = headers or {}


def not_found(detail: str) -> ApiError:
    """The 404 problem for a resource that does not exist."""
    return ApiError(404, "Not Found", detail)


def invalid_fields(errors: dict[str, list[str]]) -> ApiError:
    """The 422 problem naming every failing field."""
    return ApiError(422, "Unprocessable Content", "Some fields are missing or invalid.", errors=errors,
                    slug="invalid-fields")


def problem(status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None,
            slug: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """A problem+json response."""
    body = Problem(type=PROBLEM_TYPE_BASE + (slug or title.lower().replace(" ", "-")), title=title, status=status,
                   detail=detail, errors=errors or {})
    response = Response(body.model_dump_json(), status=status, mimetype=PROBLEM)
    response.headers.update(headers or {})
    return response


def _api_error(error: ApiError) -> Response:
    return problem(error.status, error.title, error.detail, error.errors, error.slug, error.headers)


def _http_error(error: HTTPException) -> Response:
    response = problem(error.code or 500, error.name, error.description or error.name)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "The server failed to handle this request.")


def _store_unavailable(error: StoreUnavailable) -> Response:
    return problem(503, "Service Unavailable", f"The database is unavailable ({error}); nothing was decided.",
                   slug="store-unavailable", headers={"Retry-After": "5"})


def _model_unavailable(error: ModelUnavailable) -> Response:
    return problem(503, "Service Unavailable", f"No model is loaded: {error}", slug="model-unavailable",
                   headers={"Retry-After": "5"})


def _rate_limited(error: RateLimited) -> Response:
    return problem(429, "Too Many Requests", str(error), slug="rate-limited",
                   headers={"Retry-After": str(error.retry_after)})


def register_error_handlers(app: Flask) -> None:
    """Route every error through the problem+json shape."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(StoreUnavailable, _store_unavailable)
    app.register_error_handler(ModelUnavailable, _model_unavailable)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
