"""The contract: every operation of the generated OpenAPI document, exercised by schemathesis against the app.

For each operation schemathesis generates valid and invalid requests from the schemas and checks that the app
answers no 5xx, only documented statuses and content types, and bodies that match their own schema.
"""

from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service import create_app
from tests.conftest import MODERATOR_KEY

EXAMPLES_PER_OPERATION = 25
# No 5xx, and every answer as documented. Not "schema-valid data is accepted": the validators check what JSON
# Schema cannot say (a deliverable email address, an IP address, a URL's scheme), so schema-valid input can
# rightly get a 422.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def api_schema(app_config):
    # Jobs are only queued here: schemathesis would otherwise start a training process per request.
    app = create_app({**app_config, "RUN_JOBS": False})
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def test_every_operation_keeps_its_contract(api_schema, subtests):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not (operation.body or operation.query or operation.path_parameters):
            continue  # nothing to send wrong
        with subtests.test(msg=f"{operation.label} ({mode.value})"):
            @given(case=operation.as_strategy(mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def keeps_its_contract(case):
                case.call_and_validate(headers={"Authorization": f"Bearer {MODERATOR_KEY}"}, checks=CHECKS)

            keeps_its_contract()


def test_the_document_lists_exactly_the_routes(app, client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    routes = set()
    for rule in app.url_map.iter_rules():
        # The dashboard's pages and forms are HTML for browsers, not part of the API.
        if rule.endpoint == "static" or rule.endpoint.startswith("dashboard."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(path, method) for path, item in spec["paths"].items() for method in item}
    for item in spec["paths"].values():
        for operation in item.values():
            assert "500" in operation["responses"] and operation["summary"]
            errors = [status for status in operation["responses"] if status >= "400"]
            assert all("application/problem+json" in operation["responses"][s]["content"] for s in errors)
