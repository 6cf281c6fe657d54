"""The OpenAPI document matches the routes and the bodies the service really sends."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.test_comments_api import SPAM, VALID


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def _validator(spec: dict, schema: dict) -> Draft202012Validator:
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(spec))
    resolved = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else schema
    return Draft202012Validator(resolved, registry=registry)


def _check(spec: dict, path: str, method: str, response) -> None:
    declared = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in declared, f"{method.upper()} {path} answered {status}, which the spec does not list"
    content = declared[status].get("content")
    if content is None:
        return
    assert response.mimetype in content
    _validator(spec, content[response.mimetype]["schema"]).validate(response.get_json())


def test_spec_lists_exactly_the_routes(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == documented


def test_spec_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], f"{method} {path} documents no response"


def test_real_responses_match_the_spec(client, spec, site_headers):
    created = client.post("/v1/comments", json=VALID, headers=site_headers)
    _check(spec, "/v1/comments", "post", created)
    comment_id = created.get_json()["id"]
    cases = [
        ("/v1/comments", "post", client.post("/v1/comments", json={"name": ""}, headers=site_headers)),
        ("/v1/comments", "post", client.post("/v1/comments", data="{", content_type="application/json",
                                             headers=site_headers)),
        ("/v1/comments", "post", client.post("/v1/comments", json=VALID)),
        ("/v1/comments/{comment_id}", "get", client.get(f"/v1/comments/{comment_id}", headers=site_headers)),
        ("/v1/comments/{comment_id}", "get", client.get("/v1/comments/missing", headers=site_headers)),
        ("/v1/analyze", "post", client.post("/v1/analyze", json={"items": [VALID, SPAM, {"x": 1}]},
                                            headers=site_headers)),
        ("/v1/analyze", "post", client.post("/v1/analyze", json={"items": []}, headers=site_headers)),
        ("/healthz", "get", client.get("/healthz")),
        ("/readyz", "get", client.get("/readyz")),
        ("/openapi.json", "get", client.get("/openapi.json")),
    ]
    for path, method, response in cases:
        _check(spec, path, method, response)


def test_validator_catches_a_wrong_body(spec):
    """The check above is only worth something if a wrong body fails it."""
    validator = _validator(spec, {"$ref": "#/components/schemas/CommentDecision"})
    assert not validator.is_valid({"id": "x", "decision": "maybe"})
