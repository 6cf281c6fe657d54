"""Each endpoint is declared once, by @operation: its key, its request schema, its responses.

The decorator authenticates the caller, parses and validates the body or query string into the declared
schema (pydantic, with the deployment's limits), calls the view with the validated object, and serialises what
the view returns with the same schema. The same declaration feeds spectree, which generates the OpenAPI 3.1
document from the schemas; nothing about the contract is written twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from pydantic import BaseModel, TypeAdapter
from spectree import Response as SpecResponse
from spectree import SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from moderation.keys import SITE
from moderation.validation import ValidationFailed, ValidationSettings, validate
from service.auth import authenticate, bearer_token
from service.errors import PROBLEM, ApiError, Problem, invalid_fields

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Every error a key-protected endpoint can give besides its own: the problem+json responses of auth, limits
# and a database or model that is not there.
AUTH_ERRORS = (401, 403)
BODY_ERRORS = (400, 413, 422)
# Every answer that carries scores names the model version that computed them, whatever its body's shape
# (an Akismet verdict is the bare word "true"): replicas may switch versions a few seconds apart.
MODEL_VERSION_HEADER = "X-Model-Version"

api = SpecTree(
    "flask", mode="strict", annotations=False, title="Comment moderation service", version="1",
    description="Validates, scores, decides and stores news comments; reviews, rules, models; Akismet and "
                "Perspective compatible front ends. Every error is application/problem+json.",
    validation_error_status=422, validation_error_model=Problem,
    # Schemas are named as in the code, and one nested schema is one component wherever it is used.
    naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer")),
        SecurityScheme(name="query_key", data=SecuritySchemeData(type="apiKey", name="key", field_in="query")),
    ],
)
_ADAPTERS: dict[Any, TypeAdapter] = {}
# Operations whose successful answers are text/plain (Akismet's words), by operationId.
_TEXT_OPERATIONS: set[str] = set()


def _adapter(kind: Any) -> TypeAdapter:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def validation_settings() -> ValidationSettings:
    """The app's validation limits."""
    return current_app.extensions["moderation.validation"]


def request_data(allow_form: bool = True) -> Any:
    """The request body as parsed JSON or a form dict; a 400 problem if it is neither or malformed."""
    mimetype = request.mimetype
    if mimetype in JSON_TYPES or mimetype.endswith("+json"):
        try:
            return json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the parser goes is malformed for us too.
            raise ApiError(400, "Bad Request", "The body is not valid JSON.", slug="malformed-json") from None
    if allow_form and mimetype in FORM_TYPES:
        return request.form.to_dict()
    kinds = "application/json or application/x-www-form-urlencoded" if allow_form else "application/json"
    raise ApiError(400, "Bad Request", f"Send the body as {kinds}.", slug="unsupported-content-type")


def parse(model: type[BaseModel], data: Any, invalid_status: int = 422) -> BaseModel:
    """data validated into model with the app's limits, or a problem (422 unless said otherwise) naming every
    failing field."""
    if not isinstance(data, dict):
        raise ApiError(400, "Bad Request", "The body must be a JSON object.", slug="malformed-json")
    try:
        return validate(model, data, validation_settings())
    except ValidationFailed as failure:
        if invalid_status == 422:
            raise invalid_fields(failure.errors) from None
        raise ApiError(invalid_status, "Bad Request", "The request is not valid.", errors=failure.errors,
                       slug="invalid-argument") from None


def respond(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised by the schema of value's type."""
    body = b"" if value is None else _adapter(type(value)).dump_json(value)
    return Response(body, status=status, headers=headers, mimetype="application/json" if body else None)


def _spec_response(responses: dict[int, Any], errors: Iterable[int]) -> SpecResponse:
    models = {f"HTTP_{status}": kind for status, kind in responses.items() if kind is not None}
    plain = [f"HTTP_{status}" for status, kind in responses.items() if kind is None]
    models.update({f"HTTP_{status}": Problem for status in errors})
    return SpecResponse(*plain, **models)


def operation(*, key: str | None = SITE, body: type[BaseModel] | None = None, form: bool = False,
              body_required: bool = True, query: type[BaseModel] | None = None, responses: dict[int, Any],
              errors: Iterable[int] = (), tags: Iterable[str] = (), key_in_query: bool = False,
              invalid_status: int = 422, text: bool = False) -> Callable:
    """Declare an endpoint: who may call it (a site or moderator key, or anyone), the schema of its body (JSON,
    or also a form with form=True) or query string, and its responses. The view receives `body=` and/or
    `query=` as validated objects and returns an object of a declared response type, optionally with a
    status and headers, or a Flask Response (text=True: its successful answers are text/plain, the response
    schema says which words). Every endpoint may answer 500 (a bug, never bad input)."""
    declared = {*errors, *responses, 500}
    if key:
        declared |= set(AUTH_ERRORS)
    if body:
        declared |= {*BODY_ERRORS, invalid_status} - ({422} if invalid_status != 422 else set())
    if query:
        declared.add(422)
    error_statuses = sorted(status for status in declared if status >= 400 and status not in responses)
    security = [{"query_key": []}, {"bearer": []}] if key_in_query else ([{"bearer": []}] if key else [])

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def endpoint(**path):
            if key:
                token = (request.args.get("key") or None) if key_in_query else None
                g.api_key = authenticate(token or bearer_token(), key)
            arguments = {}
            if query is not None:
                arguments["query"] = parse(query, request.args.to_dict())
            if body is not None:
                empty = not body_required and not request.get_data(cache=True)
                arguments["body"] = parse(body, {} if empty else request_data(allow_form=form), invalid_status)
            result = view(**path, **arguments)
            if isinstance(result, Response):
                return result
            return respond(*result) if isinstance(result, tuple) else respond(result)

        if text:
            _TEXT_OPERATIONS.add(view.__name__)
        # validation_error_status names a status already declared, so spectree adds no 422 of its own.
        return api.validate(json=body, form=body if form else None, query=query,
                            resp=_spec_response(responses, error_statuses), tags=tuple(tags),
                            security=security, skip_validation=True, validation_error_status=500,
                            operation_id=view.__name__)(endpoint)

    return decorate


def openapi_document() -> dict:
    """The OpenAPI 3.1 document spectree generates from the schemas, with the media types this service uses:
    errors are application/problem+json, Akismet's answers text/plain, and a form body is url-encoded
    (multipart works too)."""
    document = json.loads(json.dumps(api.spec))
    for item in document["paths"].values():
        for operation_spec in item.values():
            for status, response in operation_spec["responses"].items():
                if "content" not in response:
                    continue
                if int(status) >= 400:
                    response["content"] = {PROBLEM: response["content"]["application/json"]}
                elif operation_spec["operationId"] in _TEXT_OPERATIONS:
                    response["content"] = {"text/plain": response["content"]["application/json"]}
            content = operation_spec.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                content["application/x-www-form-urlencoded"] = content["multipart/form-data"]
    return document
