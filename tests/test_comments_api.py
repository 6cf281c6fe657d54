"""POST /v1/comments, GET /v1/comments/<id> and POST /v1/analyze through the HTTP API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from service import create_app

VALID = {"name": "Ann Reader", "email": "ann.reader@gmail.com",
         "comment": "The council should publish the full budget before the vote."}
SPAM = {"name": "Best Cheap Loans Online", "email": "offers@quickcash.top", "url": "http://quickcash.top",
        "comment": "Great article!! Get instant loans with no credit check at quickcash.top, call +1 888 555 0199"}
TOXIC = {"name": "Rick", "email": "rick@gmail.com",
         "comment": "Shut up you stupid fucking idiot, nobody wants to read your garbage"}


def post(client, headers, body, **kwargs):
    return client.post("/v1/comments", json=body, headers=headers, **kwargs)


def test_create_stores_and_answers_a_decision(client, site_headers):
    response = post(client, site_headers, VALID)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "decision", "scores", "reasons", "model_version", "created_at"}
    assert body["decision"] in {"accept", "hold", "reject"}
    assert 0 <= body["scores"]["spam"] <= 1 and 0 <= body["scores"]["toxicity"] <= 1
    assert body["reasons"] and all({"code", "message"} <= set(r) for r in body["reasons"])
    assert response.headers["Location"] == f"/v1/comments/{body['id']}"

    stored = client.get(f"/v1/comments/{body['id']}", headers=site_headers).get_json()
    assert stored["comment"] == VALID["comment"]
    assert stored["decision"] == body["decision"]
    assert stored["status"] == {"accept": "accepted", "hold": "held", "reject": "rejected"}[body["decision"]]
    assert stored["scores"] == body["scores"] and stored["model_version"] == body["model_version"]


@pytest.mark.parametrize(("body", "label"), [(SPAM, "spam"), (TOXIC, "toxicity")])
def test_obvious_spam_and_abuse_are_not_accepted_and_say_why(client, site_headers, body, label):
    answer = post(client, site_headers, body).get_json()
    assert answer["decision"] in {"hold", "reject"}
    reason = next(r for r in answer["reasons"] if r["code"] == f"model_{label}")
    assert reason["terms"], "a model reason names the terms that drove it"


def test_form_encoded_bodies_are_accepted(client, site_headers):
    response = client.post("/v1/comments", data=VALID, headers=site_headers)
    assert response.status_code == 201


def test_normalises_fields(client, site_headers):
    body = {**VALID, "name": "  Zoe\u0308  ", "email": "Zoe@GMAIL.COM",
            "comment": "  line one\r\nline\x07 two\u202e\t<b>bold</b>  "}
    created = post(client, site_headers, body).get_json()
    stored = client.get(f"/v1/comments/{created['id']}", headers=site_headers).get_json()
    assert stored["name"] == "Zoë"
    assert stored["email"] == "Zoe@gmail.com"
    assert stored["comment"] == "line one\nline two\t<b>bold</b>"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"name": None, "email": None, "comment": None}, {"name", "email", "comment"}),
        ({"name": "   "}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"name": "bad\x00name"}, {"name"}),
        ({"name": 42.5}, {"name"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": "someone@localhost"}, {"email"}),
        ({"comment": " \n\t "}, {"comment"}),
        ({"comment": "x" * 10_001}, {"comment"}),
        ({"url": "javascript:alert(1)"}, {"url"}),
        ({"url": "ftp://files.example.org"}, {"url"}),
        ({"article_url": "not a url"}, {"article_url"}),
        ({"referrer": "data:text/html,hi"}, {"referrer"}),
        ({"ip": "999.1.1.1"}, {"ip"}),
        ({"article_id": ["a", "list"]}, {"article_id"}),
        ({"email": "bad", "url": "mailto:x@y.z"}, {"email", "url"}),
    ],
)
def test_field_errors_are_422_naming_every_field(client, site_headers, change, fields):
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    response = post(client, site_headers, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert set(problem) >= {"type", "title", "status", "detail", "errors"}
    assert set(problem["errors"]) == fields


def test_comment_length_limit_is_configurable(app_config, site_headers):
    client = create_app({**app_config, "MAX_COMMENT_LENGTH": 20}).test_client()
    assert post(client, site_headers, {**VALID, "comment": "x" * 21}).status_code == 422
    assert post(client, site_headers, {**VALID, "comment": "x" * 20}).status_code == 201


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("name=a", "text/plain"), ("", None)],
)
def test_malformed_bodies_are_400(client, site_headers, data, content_type):
    response = client.post("/v1/comments", data=data, content_type=content_type, headers=site_headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_oversized_body_is_413(app_config, site_headers):
    client = create_app({**app_config, "MAX_CONTENT_LENGTH": 2_000}).test_client()
    response = post(client, site_headers, {**VALID, "comment": "y" * 5_000})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2l0ZS1rZXk="}, {"Authorization": "Bearer"}],
)
@pytest.mark.parametrize(("method", "path"), [("post", "/v1/comments"), ("get", "/v1/comments/abc"),
                                              ("post", "/v1/analyze")])
def test_every_v1_endpoint_needs_a_key(client, headers, method, path):
    response = getattr(client, method)(path, json={"items": [VALID]}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_moderator_keys_can_submit_too(client, moderator_headers):
    assert post(client, moderator_headers, VALID).status_code == 201


def test_unknown_comment_is_404(client, site_headers):
    response = client.get("/v1/comments/does-not-exist", headers=site_headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_failed_write_answers_503_not_a_decision(app, client, site_headers):
    with app.extensions["moderation.database"].engine.begin() as connection:
        connection.execute(text("DROP TABLE comments"))
    response = post(client, site_headers, VALID)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "decision" not in response.get_json()


def test_no_model_means_503_and_nothing_stored(app_config, site_headers, tmp_path):
    app = create_app({**app_config, "MODEL_DIR": str(tmp_path / "empty")})
    client = app.test_client()
    response = post(client, site_headers, VALID)
    assert response.status_code == 503
    with app.extensions["moderation.database"].engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM comments")).scalar() == 0


def test_analyze_scores_in_order_and_stores_nothing(app, client, site_headers):
    items = [VALID, {"name": "x"}, SPAM, "not an object"]
    response = client.post("/v1/analyze", json={"items": items}, headers=site_headers)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == 4
    assert results[0]["decision"] in {"accept", "hold", "reject"} and "id" not in results[0]
    assert set(results[1]["errors"]) == {"email", "comment"}
    assert results[2]["scores"]["spam"] > results[0]["scores"]["spam"]
    assert "errors" in results[3]
    with app.extensions["moderation.database"].engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM comments")).scalar() == 0


@pytest.mark.parametrize("body", [{"items": []}, {"items": "x"}, {}, {"items": [VALID] * 1001}])
def test_analyze_rejects_bad_batches(client, site_headers, body):
    response = client.post("/v1/analyze", json=body, headers=site_headers)
    assert response.status_code == 422
    assert "items" in response.get_json()["errors"]


def test_analyze_matches_single_submission(client, site_headers):
    single = post(client, site_headers, TOXIC).get_json()
    batch = client.post("/v1/analyze", json={"items": [TOXIC]}, headers=site_headers).get_json()["results"][0]
    assert batch["scores"] == single["scores"] and batch["decision"] == single["decision"]


def test_unknown_route_and_method_use_the_problem_shape(client, site_headers):
    assert client.get("/nope").mimetype == "application/problem+json"
    response = client.delete("/v1/comments", headers=site_headers)
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_concurrent_submissions_from_two_workers_are_all_stored(app_config, site_headers):
    # Two apps on one SQLite file stand for two gunicorn workers; three threads each, writing at once.
    workers = [create_app(app_config) for _ in range(2)]

    def submit(n):
        client = workers[n % 2].test_client()
        body = {**VALID, "email": f"reader{n}@example.org", "comment": f"{VALID['comment']} Point {n}."}
        response = post(client, site_headers, body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(submit, range(60)))
    assert len(set(ids)) == 60
    reader = workers[0].test_client()
    assert all(reader.get(f"/v1/comments/{i}", headers=site_headers).status_code == 200 for i in ids)
