"""The OpenAPI 3.1 description of the API, served at /openapi.json (tests check it against real responses)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("openapi", __name__)

_STRING = {"type": "string"}
_SCORE = {"type": "number", "minimum": 0, "maximum": 1}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


_COMMENT_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Display name; trimmed, NFC."},
    "email": {"type": "string", "description": "Checked and normalised with email-validator."},
    "comment": {"type": "string", "minLength": 1, "description": "1 to 10,000 characters after trimming "
                "(MODERATION_MAX_COMMENT_LENGTH). HTML is kept as text."},
    "url": {"type": "string", "description": "The author's website (http or https)."},
    "article_url": {"type": "string", "description": "The article's URL (http or https)."},
    "article_id": {"type": ["string", "integer"]},
    "parent_id": {"type": ["string", "integer"], "description": "The comment this one replies to."},
    "ip": {"type": "string", "description": "The commenter's IP address as the site saw it."},
    "user_agent": _STRING,
    "referrer": {"type": "string", "description": "http or https URL."},
}

_SCHEMAS = {
    "CommentSubmission": {"type": "object", "required": ["name", "email", "comment"],
                          "properties": _COMMENT_FIELDS},
    "Scores": {
        "type": "object", "required": ["spam", "toxicity"],
        "properties": {"spam": _SCORE, "toxicity": _SCORE},
        "additionalProperties": _SCORE,
        "description": "Calibrated probabilities; toxicity_<category> break toxicity down by category.",
    },
    "Reason": {
        "type": "object", "required": ["code", "message", "action"],
        "properties": {"code": _STRING, "message": _STRING,
                       "action": {"enum": ["accept", "hold", "reject"]},
                       "label": _STRING, "score": _SCORE, "threshold": _SCORE, "category": _STRING,
                       "terms": {"type": "array", "items": _STRING}},
    },
    "Decision": {
        "type": "object", "required": ["decision", "scores", "reasons", "model_version", "created_at"],
        "properties": {"decision": {"enum": ["accept", "hold", "reject"]}, "scores": _ref("Scores"),
                       "reasons": {"type": "array", "items": _ref("Reason")}, "model_version": _STRING,
                       "created_at": {"type": "string", "format": "date-time"}},
    },
    "CommentDecision": {"allOf": [_ref("Decision"), {"type": "object", "required": ["id"],
                                                     "properties": {"id": _STRING}}]},
    "StoredComment": {
        "type": "object",
        "required": ["id", "name", "email", "comment", "decision", "status", "scores", "reasons",
                     "model_version", "created_at", "updated_at"],
        "properties": {**{k: _STRING for k in _COMMENT_FIELDS}, "id": _STRING,
                       "decision": {"enum": ["accept", "hold", "reject"]},
                       "status": {"enum": ["accepted", "held", "rejected"]},
                       "scores": _ref("Scores"), "reasons": {"type": "array", "items": _ref("Reason")},
                       "model_version": _STRING, "created_at": {"type": "string", "format": "date-time"},
                       "updated_at": {"type": "string", "format": "date-time"}},
    },
    "AnalyzeRequest": {"type": "object", "required": ["items"],
                       "properties": {"items": {"type": "array", "minItems": 1, "maxItems": 1000,
                                                "items": _ref("CommentSubmission")}}},
    "AnalyzeResult": {"oneOf": [
        _ref("Decision"),
        {"type": "object", "required": ["errors"], "properties": {"errors": _ref("FieldErrors")}},
    ]},
    "AnalyzeResponse": {"type": "object", "required": ["results"],
                        "properties": {"results": {"type": "array", "items": _ref("AnalyzeResult")}}},
    "FieldErrors": {"type": "object", "additionalProperties": {"type": "array", "items": _STRING}},
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail", "errors"],
        "properties": {"type": _STRING, "title": _STRING, "status": {"type": "integer"}, "detail": _STRING,
                       "errors": _ref("FieldErrors")},
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": _STRING}},
    "Ready": {"type": "object", "required": ["status", "model_version"],
              "properties": {"status": {"const": "ready"}, "model_version": _STRING}},
}

_BODY = {"required": True, "content": {
    "application/json": {"schema": _ref("CommentSubmission")},
    "application/x-www-form-urlencoded": {"schema": _ref("CommentSubmission")},
}}
_AUTH_ERRORS = {"401": _problem("Missing or invalid API key."), "403": _problem("The key may not do this.")}
_BODY_ERRORS = {"400": _problem("Malformed JSON or an unsupported content type."),
                "413": _problem("The body is larger than MODERATION_MAX_BODY_BYTES."),
                "422": _problem("Field errors, naming every failing field.")}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Comment moderation API", "version": "1",
             "description": "Validate, score, decide and store reader comments."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "A site key or a moderator key."}},
        "schemas": _SCHEMAS,
    },
    "security": [{"bearer": []}],
    "paths": {
        "/v1/comments": {"post": {
            "summary": "Submit a comment: validate, score, decide and store it.",
            "requestBody": _BODY,
            "responses": {"201": _json(_ref("CommentDecision"), "Stored and decided."), **_BODY_ERRORS,
                          **_AUTH_ERRORS, "503": _problem("No model loaded or the database failed.")},
        }},
        "/v1/comments/{comment_id}": {"get": {
            "summary": "A stored comment with its current status.",
            "parameters": [{"name": "comment_id", "in": "path", "required": True, "schema": _STRING}],
            "responses": {"200": _json(_ref("StoredComment"), "The comment."), **_AUTH_ERRORS,
                          "404": _problem("No such comment.")},
        }},
        "/v1/analyze": {"post": {
            "summary": "Score and decide up to 1,000 comments without storing them.",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("AnalyzeRequest")}}},
            "responses": {"200": _json(_ref("AnalyzeResponse"), "One result per item, in order."),
                          **_BODY_ERRORS, **_AUTH_ERRORS, "503": _problem("No model loaded.")},
        }},
        "/healthz": {"get": {"summary": "Liveness.", "security": [],
                             "responses": {"200": _json(_ref("Health"), "The process is alive.")}}},
        "/readyz": {"get": {"summary": "Readiness: a model is loaded and the database answers.", "security": [],
                            "responses": {"200": _json(_ref("Ready"), "Ready."),
                                          "503": _problem("Not ready; errors say why.")}}},
        "/openapi.json": {"get": {"summary": "This document.", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1 document."}}}},
    },
}


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document."""
    return SPEC
