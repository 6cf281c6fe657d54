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
                       "review": {"type": ["object", "null"], "description": "The latest moderator review."},
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
    "Labels": {"type": "object", "required": ["spam", "toxic"],
               "properties": {"spam": {"type": "boolean"}, "toxic": {"type": "boolean"},
                              "category": {"enum": ["insult", "threat", "identity_attack", "obscene", "other", None]}}},
    "ReviewRequest": {"type": "object", "required": ["action", "labels"],
                      "properties": {"action": {"enum": ["approve", "reject"]}, "labels": _ref("Labels"),
                                     "note": {"type": "string", "maxLength": 2000}}},
    "FeedbackRequest": {"allOf": [_ref("CommentSubmission"), {"type": "object", "required": ["labels"],
                                                               "properties": {"labels": _ref("Labels")}}]},
    "FeedbackResponse": {"type": "object", "required": ["id", "labels"],
                         "properties": {"id": {"type": "integer"}, "labels": _ref("Labels")}},
    "QueueItem": {"allOf": [_ref("StoredComment"), {"type": "object", "required": ["author_history"], "properties": {
        "author_history": {"type": "object", "additionalProperties": {"type": "integer"}}}}]},
    "Queue": {"type": "object", "required": ["items", "next_cursor"],
              "properties": {"items": {"type": "array", "items": _ref("QueueItem")},
                             "next_cursor": {"type": ["string", "null"]}}},
    "ModelVersion": {"type": "object", "required": ["version", "created_at", "metrics", "thresholds", "active"],
                     "properties": {"version": _STRING, "created_at": _STRING, "active": {"type": "boolean"},
                                    "libraries": {"type": "object"}, "training_data": {"type": "object"},
                                    "metrics": {"type": "object"}, "thresholds": {"type": "object"},
                                    "sources": {"type": ["object", "null"]}, "gate": {"type": ["object", "null"]}}},
    "Models": {"type": "object", "required": ["active_version", "serving_version", "versions"],
               "properties": {"active_version": {"type": ["string", "null"]},
                              "serving_version": {"type": ["string", "null"]},
                              "versions": {"type": "array", "items": _ref("ModelVersion")}}},
    "TrainRequest": {"type": "object", "properties": {"activate": {"type": "boolean", "default": False}}},
    "Job": {"type": "object", "required": ["id", "kind", "status", "request", "created_at"],
            "properties": {"id": _STRING, "kind": _STRING,
                           "status": {"enum": ["queued", "running", "succeeded", "failed"]},
                           "request": {"type": "object"}, "result": {"type": ["object", "null"]},
                           "error": {"type": ["string", "null"]}, "created_by": _STRING, "created_at": _STRING,
                           "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]}}},
    "JobAccepted": {"type": "object", "required": ["job"], "properties": {"job": _ref("Job")}},
    "Activated": {"type": "object", "required": ["active_version", "previous_version"],
                  "properties": {"active_version": _STRING, "previous_version": {"type": ["string", "null"]}}},
    "Audit": {"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": {
        "type": "object", "required": ["id", "at", "actor", "action", "target", "details"]}}}},
    "RuleSettings": {"type": "object", "properties": {
        "max_links": {"type": "integer"}, "first_post_link_hold": {"type": "boolean"},
        "trusted_after": {"type": "integer"}, "trusted_leniency": {"type": "number"},
        "duplicate_window_minutes": {"type": "integer"}, "near_duplicate_similarity": {"type": "number"},
        "near_duplicate_days": {"type": "integer"}, "flood_per_minute": {"type": "integer"},
        "flood_action": {"enum": ["hold", "429"]}, "honeypot_field": _STRING,
        "shadow": {"type": "array", "items": _STRING}}},
    "RuleEntryRequest": {"type": "object", "required": ["kind", "action", "value"], "properties": {
        "kind": {"enum": ["word", "domain", "author"]},
        "action": {"enum": ["block", "hold", "allow", "trust"]},
        "match": {"enum": ["word", "substring", "domain", "email", "email_domain", "ip", "ip_range"]},
        "value": _STRING, "note": _STRING}},
    "RuleEntry": {"allOf": [_ref("RuleEntryRequest"), {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer"}}}]},
    "Rules": {"type": "object", "required": ["settings", "entries"], "properties": {
        "settings": _ref("RuleSettings"), "entries": {"type": "array", "items": _ref("RuleEntry")}}},
    "Stats": {"type": "object", "required": ["days", "comments", "decisions", "reasons", "shadow_reasons"],
              "properties": {"days": {"type": "integer"}, "comments": {"type": "integer"},
                             "decisions": {"type": "object", "additionalProperties": {"type": "integer"}},
                             "reasons": {"type": "object", "additionalProperties": {"type": "integer"}},
                             "shadow_reasons": {"type": "object", "additionalProperties": {"type": "integer"}}}},
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
        "/v1/queue": {"get": {
            "summary": "The review queue (moderator key).",
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
                for name, schema, text in (
                    ("status", {"enum": ["held", "accepted", "rejected"], "default": "held"}, "Status to list."),
                    ("label", {"enum": ["spam", "toxicity"]}, "Only comments this label flagged."),
                    ("article_id", _STRING, "Only this article's comments."),
                    ("email", _STRING, "Only this author's comments."),
                    ("since", {"type": "string", "format": "date-time"}, "Created at or after."),
                    ("until", {"type": "string", "format": "date-time"}, "Created before."),
                    ("order", {"enum": ["newest", "oldest", "uncertain"], "default": "newest"},
                     "uncertain: scores nearest a coin toss first, the labels that teach the model most."),
                    ("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size."),
                    ("cursor", _STRING, "next_cursor of the previous page."),
                )
            ],
            "responses": {"200": _json(_ref("Queue"), "A page of comments."), **_AUTH_ERRORS,
                          "422": _problem("Bad filter values.")},
        }},
        "/v1/comments/{comment_id}/review": {"post": {
            "summary": "Approve or reject a comment and label it for training (moderator key).",
            "parameters": [{"name": "comment_id", "in": "path", "required": True, "schema": _STRING}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReviewRequest")}}},
            "responses": {"200": _json(_ref("StoredComment"), "The reviewed comment."), **_BODY_ERRORS,
                          **_AUTH_ERRORS, "404": _problem("No such comment.")},
        }},
        "/v1/feedback": {"post": {
            "summary": "Add a labelled example for a comment the service never stored (moderator key).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FeedbackRequest")}}},
            "responses": {"201": _json(_ref("FeedbackResponse"), "Stored label."), **_BODY_ERRORS,
                          **_AUTH_ERRORS},
        }},
        "/v1/audit": {"get": {
            "summary": "The newest audit events (moderator key).",
            "parameters": [{"name": "target", "in": "query", "required": False, "schema": _STRING},
                           {"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": {"200": _json(_ref("Audit"), "Events, newest first."), **_AUTH_ERRORS,
                          "422": _problem("Bad limit.")},
        }},
        "/v1/models": {
            "get": {"summary": "Every model version; the active one is marked (moderator key).",
                    "responses": {"200": _json(_ref("Models"), "Versions, newest first."), **_AUTH_ERRORS}},
            "post": {"summary": "Start a training job on training_data/ plus every label (moderator key).",
                     "requestBody": {"required": False,
                                     "content": {"application/json": {"schema": _ref("TrainRequest")}}},
                     "responses": {"202": _json(_ref("JobAccepted"), "Job queued."), **_BODY_ERRORS,
                                   **_AUTH_ERRORS}},
        },
        "/v1/models/{version}/activate": {"post": {
            "summary": "Serve this version from now on; also how to roll back (moderator key).",
            "parameters": [{"name": "version", "in": "path", "required": True, "schema": _STRING}],
            "responses": {"200": _json(_ref("Activated"), "Activated."), **_AUTH_ERRORS,
                          "404": _problem("No such version."), "409": _problem("The artifact was refused.")},
        }},
        "/v1/jobs/{job_id}": {"get": {
            "summary": "A training job's status and result (moderator key).",
            "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": _STRING}],
            "responses": {"200": _json(_ref("Job"), "The job."), **_AUTH_ERRORS,
                          "404": _problem("No such job.")},
        }},
        **{f"/1.1/{name}": {"post": {
            "summary": summary, "security": [],
            "description": "Akismet 1.1 for WordPress and other Akismet clients. The key (a site or moderator "
                           "key) is the form field `api_key` (`key` for verify-key); `blog` is not checked. "
                           "Missing author becomes `Anonymous`; a missing or invalid email becomes "
                           "`anonymous-<letters from the IP's hash>@anonymous.example.org`; an invalid url, "
                           "permalink, referrer or user_ip is dropped; unknown fields are ignored.",
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "properties": dict.fromkeys(fields, _STRING)}}}},
            "responses": {"200": {"description": answer, "headers": headers,
                                  "content": {"text/plain": {"schema": {"enum": words}}}},
                          "413": _problem("The body is larger than MODERATION_MAX_BODY_BYTES."), **errors},
        }} for name, summary, fields, words, answer, headers, errors in (
            ("verify-key", "Akismet: is this key valid?", ("key", "blog"), ["valid", "invalid"],
             "`valid`, or `invalid` with X-akismet-debug-help.", {}, {}),
            ("comment-check", "Akismet: check and store a comment (like POST /v1/comments).",
             ("api_key", "blog", "user_ip", "user_agent", "referrer", "permalink", "comment_type", "comment_author",
              "comment_author_email", "comment_author_url", "comment_content", "user_role", "is_test",
              "honeypot_field_name"),
             ["true", "false", "invalid"],
             "`true` if held or rejected (rejected adds X-akismet-pro-tip: discard), `false` if accepted; "
             "`invalid` for a bad key or an unusable comment, with X-akismet-debug-help. Test values: author "
             "viagra-test-123 or akismet-guaranteed-spam, email akismet-guaranteed-spam@example.com, or a filled "
             "honeypot_field_name field force spam; user_role administrator forces ham.",
             {"X-akismet-guid": {"description": "The stored comment's id.", "schema": _STRING},
              "X-akismet-pro-tip": {"description": "`discard` when rejected.", "schema": _STRING}},
             {"429": _problem("The flood rule refuses this commenter."),
              "503": _problem("No model loaded or the database failed.")}),
            *((f"submit-{label}", f"Akismet: label a comment as {label} for training.",
               ("api_key", "blog", "user_ip", "user_agent", "referrer", "permalink", "comment_type",
                "comment_author", "comment_author_email", "comment_author_url", "comment_content", "is_test"),
               ["Thanks for making the web a better place.", "invalid"],
               "Stored (attached to the stored comment with the same email and text); no label with is_test. "
               "`invalid` with X-akismet-debug-help for a bad key or an unusable comment.", {},
               {"503": _problem("The database failed.")}) for label in ("spam", "ham")),
        )},
        **{f"/v1alpha1/comments:{name}": {"post": {
            "summary": summary, "security": [],
            "parameters": [{"name": "key", "in": "query", "required": True, "schema": _STRING,
                            "description": "A site or moderator key."}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["comment", scored],
                "properties": {"comment": {"type": "object", "required": ["text"], "properties": {"text": _STRING}},
                               scored: {"type": "object", "description": attributes},
                               "languages": {"type": "array", "items": _STRING, "default": ["en"],
                                             "description": "Only en (en-*) is supported."},
                               "clientToken": _STRING, **more}}}}},
            "responses": {"200": _json(answer, "The answer."),
                          "400": _problem("Malformed JSON, an empty text, an unknown attribute or language."),
                          **_AUTH_ERRORS, "413": _problem("The body is larger than MODERATION_MAX_BODY_BYTES."),
                          "503": _problem("No model loaded or the database failed.")},
        }} for name, summary, scored, attributes, more, answer in (
            ("analyze", "Perspective: score a text for the requested attributes; nothing is decided or stored "
             "(doNotStore is accepted, but analyze never stores either way).", "requestedAttributes",
             "Keys among TOXICITY, SEVERE_TOXICITY (threat + identity_attack share of toxicity), INSULT, PROFANITY "
             "(obscene), THREAT, IDENTITY_ATTACK, SPAM; values are ignored.",
             {"doNotStore": {"type": "boolean"}, "spanAnnotations": {"type": "boolean", "default": False}},
             {"type": "object", "required": ["attributeScores", "languages"], "properties": {
                 "attributeScores": {"type": "object", "additionalProperties": {
                     "type": "object", "required": ["summaryScore"], "properties": {
                         "summaryScore": {"type": "object", "required": ["value", "type"], "properties": {
                             "value": _SCORE, "type": {"const": "PROBABILITY"}}},
                         "spanScores": {"type": "array", "description": "Per sentence, with spanAnnotations.",
                                        "items": {"type": "object", "required": ["begin", "end", "score"],
                                                  "properties": {"begin": {"type": "integer"},
                                                                 "end": {"type": "integer"},
                                                                 "score": {"type": "object",
                                                                           "required": ["value", "type"]}}}}}}},
                 "languages": {"type": "array", "items": _STRING}, "clientToken": _STRING}}),
            ("suggestscore", "Perspective: store suggested scores as a training label (name and email unknown).",
             "attributeScores",
             "{ATTRIBUTE: {summaryScore: {value: 0..1}}}: toxic if a toxicity attribute is >= 0.5, spam if SPAM "
             "is, category from INSULT, PROFANITY, THREAT or IDENTITY_ATTACK.",
             {"context": {"type": "object"}, "communityId": _STRING},
             {"type": "object", "required": ["requestedLanguages", "detectedLanguages"], "properties": {
                 "clientToken": _STRING, "requestedLanguages": {"type": "array", "items": _STRING},
                 "detectedLanguages": {"type": "array", "items": _STRING,
                                       "description": "Always empty: no language is detected."}}}),
        )},
        "/v1/rules": {"get": {
            "summary": "Rule settings and every list entry (moderator key).",
            "responses": {"200": _json(_ref("Rules"), "Settings and entries."), **_AUTH_ERRORS},
        }},
        "/v1/rules/settings": {"patch": {
            "summary": "Change some rule settings; the others keep their values (moderator key).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("RuleSettings")}}},
            "responses": {"200": _json({"type": "object", "required": ["settings"],
                                        "properties": {"settings": _ref("RuleSettings")}}, "The new settings."),
                          **_BODY_ERRORS, **_AUTH_ERRORS},
        }},
        "/v1/rules/entries": {"post": {
            "summary": "Add a word, domain or author list entry (moderator key).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("RuleEntryRequest")}}},
            "responses": {"201": _json(_ref("RuleEntry"), "The entry."), **_BODY_ERRORS, **_AUTH_ERRORS},
        }},
        "/v1/rules/entries/{entry_id}": {"delete": {
            "summary": "Remove a list entry (moderator key).",
            "parameters": [{"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Removed."}, **_AUTH_ERRORS, "404": _problem("No such entry.")},
        }},
        "/v1/stats": {"get": {
            "summary": "Decisions and reason codes, live and shadow, over the last days (moderator key).",
            "parameters": [{"name": "days", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 365, "default": 7}}],
            "responses": {"200": _json(_ref("Stats"), "Counts."), **_AUTH_ERRORS, "422": _problem("Bad days.")},
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
