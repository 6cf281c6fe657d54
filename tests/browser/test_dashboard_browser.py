"""The dashboard in a real headless Chromium: sign-in, keyboard review and undo, bulk actions, hostile text,
a word list's effect, retraining and rollback, refused keys and forms, the CSP, and phone width."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS, open_page
from tests.conftest import MODERATOR_KEY, SITE_KEY

TRAINING_TIMEOUT_MS = 600_000
COMMENTS = [
    {"name": "Ann", "email": "ann@gmail.com", "comment": "The new library opening hours are a good idea.",
     "article_id": "library-hours", "article_url": "https://news.example.org/library"},
    {"name": "Rick", "email": "rick@gmail.com", "comment": "Shut up you stupid idiot, nobody cares about your view",
     "article_id": "library-hours"},
    {"name": "Bea", "email": "bea@gmail.com", "comment": "Could the council publish the full budget for this?",
     "article_id": "budget"},
]
# Each payload would change the page's title if it ran.
HOSTILE = {"name": "<img src=x onerror=\"document.title='pwned-name'\">", "email": "mallory@gmail.com",
           "comment": "<script>document.title='pwned-script'</script>"
                      "<img src=x onerror=\"document.title='pwned-img';alert(1)\"> still just text"}


def submit(app, body) -> str:
    response = app.test_client().post("/v1/comments", json=body, headers={"Authorization": f"Bearer {SITE_KEY}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def status_of(app, comment_id) -> str:
    response = app.test_client().get(f"/v1/comments/{comment_id}", headers={"Authorization": f"Bearer {SITE_KEY}"})
    return response.get_json()["status"]


def sign_in(page, key=MODERATOR_KEY, then="/moderate/queue"):
    page.goto(then)
    assert "/moderate/sign-in" in page.url
    page.fill("#key", key)
    page.click("button[type=submit]")


def card_ids(page) -> list[str]:
    return page.eval_on_selector_all("#cards .card", "cards => cards.map(c => c.dataset.id)")


def current_id(page) -> str:
    return page.get_attribute("#cards .card.current", "data-id")


def test_sign_in_then_review_with_the_keyboard_and_undo(page, live_app):
    ids = [submit(live_app, c) for c in COMMENTS]
    sign_in(page)
    page.wait_for_url("**/moderate/queue")
    shown = card_ids(page)
    assert sorted(shown) == sorted(ids)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-queue.png"), full_page=True)
    # A marker that a full page load would wipe out.
    page.evaluate("window.notReloaded = true")
    assert current_id(page) == shown[0]
    page.keyboard.press("j")
    assert current_id(page) == shown[1]
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(f"#comment-{shown[1]}", state="detached")
    assert status_of(live_app, shown[1]) == "accepted"
    # The next comment is selected in place of the reviewed one.
    assert current_id(page) == shown[2]
    page.keyboard.press("r")
    page.wait_for_selector(f"#comment-{shown[2]}", state="detached")
    assert status_of(live_app, shown[2]) == "rejected"
    assert current_id(page) == shown[0]
    page.keyboard.press("u")
    page.wait_for_selector(f"#comment-{shown[2]}")
    assert status_of(live_app, shown[2]) == "held"
    assert card_ids(page) == [shown[0], shown[2]]
    assert current_id(page) == shown[2]
    page.keyboard.press("s")
    page.wait_for_selector(f"#comment-{shown[2]}", state="detached")
    page.keyboard.press("t")
    page.wait_for_selector(f"#comment-{shown[0]}", state="detached")
    assert page.is_visible("#empty")
    reviews = {i: live_app.test_client().get(f"/v1/comments/{i}", headers={"Authorization": f"Bearer {SITE_KEY}"})
               .get_json()["review"]["labels"] for i in (shown[0], shown[2])}
    assert reviews[shown[2]]["spam"] is True and reviews[shown[0]]["toxic"] is True
    assert page.evaluate("window.notReloaded") is True


def test_next_comments_load_without_a_reload(page, live_app):
    ids = [submit(live_app, {**COMMENTS[0], "email": f"reader{n}@gmail.com",
                             "comment": f"Reader {n} thinks the library plan is sensible."}) for n in range(22)]
    sign_in(page)
    page.wait_for_url("**/moderate/queue")
    assert len(card_ids(page)) == 20
    page.evaluate("window.notReloaded = true")
    for _ in range(17):
        reviewed = current_id(page)
        page.keyboard.press("a")
        page.wait_for_selector(f"#comment-{reviewed}", state="detached")
    page.wait_for_function("() => !document.querySelector('#cards .more')")
    page.wait_for_function("() => document.querySelectorAll('#cards .card').length === 5")
    assert page.evaluate("window.notReloaded") is True
    assert sorted(card_ids(page)) == sorted(i for i in ids if status_of(live_app, i) == "held")


def test_bulk_approve_and_reject(page, live_app):
    ids = [submit(live_app, c) for c in COMMENTS]
    sign_in(page)
    page.wait_for_url("**/moderate/queue")
    shown = card_ids(page)
    page.keyboard.press("x")
    page.check(f"#comment-{shown[1]} .pick")
    page.click("#bulk button[value=approve]")
    page.wait_for_url("**/moderate/queue*")
    assert [status_of(live_app, i) for i in shown] == ["accepted", "accepted", "held"]
    page.check(f"#comment-{shown[2]} .pick")
    page.click("#bulk button[value=reject]")
    page.wait_for_selector("#empty", state="visible")
    assert status_of(live_app, shown[2]) == "rejected"
    assert sorted(ids) == sorted(shown)


def test_hostile_comment_text_never_runs(page, live_app):
    comment_id = submit(live_app, HOSTILE)
    sign_in(page)
    page.wait_for_url("**/moderate/queue")
    page.goto(f"/moderate/author?email={HOSTILE['email']}")
    page.goto("/moderate/queue")
    card = f"#comment-{comment_id}"
    assert "<script>document.title='pwned-script'</script>" in page.text_content(f"{card} .text")
    assert HOSTILE["name"] in page.text_content(f"{card} .author")
    assert page.query_selector(f"{card} img") is None and page.query_selector(f"{card} .text script") is None
    page.wait_for_timeout(500)
    assert "pwned" not in page.title() and page.dialogs == []


def test_inline_script_is_refused_by_the_policy(chromium, base_url):
    context, page = open_page(chromium, base_url)
    page.goto("/moderate/sign-in")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan === undefined")
    assert page.console.csp_violations, page.console.messages
    context.close()


def test_a_word_added_to_the_list_rejects_a_new_comment(page, live_app):
    sign_in(page, then="/moderate/rules")
    page.wait_for_url("**/moderate/rules")
    page.fill("#word-value", "turnip")
    page.select_option("#word-action", "block")
    page.click("#word-add")
    page.wait_for_selector("#word-list code:text('turnip')")
    assert page.is_visible("table.changes td:has-text('rules.add')")
    comment_id = submit(live_app, {**COMMENTS[0], "comment": "Everyone should vote for the turnip party"})
    page.goto("/moderate/queue?status=rejected")
    assert page.is_visible(f"#comment-{comment_id} code:text('word_block')")


def test_retrain_watch_it_finish_and_roll_back(page, live_app, model_store):
    before = model_store.active_version()
    sign_in(page, then="/moderate/models")
    page.wait_for_url("**/moderate/models")
    page.click("#retrain")
    page.wait_for_selector("#job")
    assert page.text_content("#job .job-status").startswith(("queued", "running"))
    page.wait_for_selector("#job[data-status=succeeded]", timeout=TRAINING_TIMEOUT_MS)
    new = model_store.active_version()
    assert new != before, page.text_content("#job")
    assert page.text_content("#active-version") == new
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-models.png"), full_page=True)
    page.click("#rollback")
    page.wait_for_selector(f"#active-version:text('{before}')")
    assert model_store.active_version() == before


def test_a_site_key_cannot_sign_in(page):
    sign_in(page, key=SITE_KEY)
    assert page.text_content("#sign-in-error") == "That is not a moderator key."
    page.goto("/moderate/queue")
    assert "/moderate/sign-in" in page.url


def test_a_form_posted_without_its_csrf_token_is_refused(page, live_app):
    sign_in(page, then="/moderate/rules")
    page.wait_for_url("**/moderate/rules")
    page.fill("#word-value", "turnip")
    page.eval_on_selector("#word-list form.add-entry input[name=csrf_token]", "input => input.remove()")
    with page.expect_response(re.compile(r"/moderate/rules/entries$")) as answer:
        page.click("#word-add")
    assert answer.value.status == 400
    assert "CSRF" in page.text_content("body")
    rules = live_app.test_client().get("/v1/rules", headers={"Authorization": f"Bearer {MODERATOR_KEY}"})
    assert rules.get_json()["entries"] == []


@pytest.mark.parametrize("path", ["/moderate/queue", "/moderate/rules", "/moderate/models", "/moderate/stats"])
def test_pages_fit_a_phone(chromium, base_url, live_app, path):
    for body in [*COMMENTS, HOSTILE]:
        submit(live_app, body)
    context, page = open_page(chromium, base_url, viewport={"width": 375, "height": 740}, is_mobile=True,
                              has_touch=True)
    sign_in(page, then=path)
    page.wait_for_url(f"**{path}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width} px wide at phone width"
    if path == "/moderate/queue":
        box = page.query_selector("#cards .card").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.console.csp_violations == []
    context.close()
