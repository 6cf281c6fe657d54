"""The dashboard's pages and actions. Each view parses the form, calls the domain function the API calls, and
renders a template or redirects; the script asks for JSON instead of a redirect where it updates the page in place.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from model import ModelLoadError
from moderation import rule_changes
from moderation.deployment import activate_version, queue_training
from moderation.policy import Status
from moderation.reviewing import QUICK_REVIEWS, quick_review, review_comment, undo_review
from moderation.schemas import (
    QueueOrder,
    QueueQuery,
    RuleEntryIn,
    RuleSettings,
    ShadowCode,
    StatsQuery,
    StoredComment,
    TrainIn,
)
from moderation.store import BadCursor, NotFound, NotReviewed
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from moderation.store import jobs as jobs_repo
from moderation.store import labels as labels_repo
from moderation.validation import ValidationFailed, validate
from service.dashboard import present, security
from service.errors import ApiError, invalid_fields, not_found
from service.extensions import active_model, database, job_runner, moderator, webhooks_enabled

bp = Blueprint("dashboard", __name__, url_prefix="/moderate", template_folder="templates",
               static_folder="static", static_url_path="/static")
bp.before_request(security.check_csrf)
bp.after_request(security.security_headers)

PAGE_SIZE = 20
RULE_ACTIONS = ("rules.settings", "rules.add", "rules.delete")
SHADOW_CODES = ShadowCode.__args__
QUEUE_FILTERS = ("status", "label", "order", "article_id", "email", "since", "until")


def _done(message: str, endpoint: str, **values):
    """Answer an action: JSON for the dashboard's script, otherwise a message and a redirect (POST-redirect-GET)."""
    if security.wants_json():
        return jsonify({"message": message})
    flash(message)
    return redirect(url_for(endpoint, **values))


# Signing in and out.

@bp.get("/")
def index():
    """The queue."""
    return redirect(url_for("dashboard.queue"))


@bp.get("/sign-in")
def sign_in_page():
    """The sign-in form."""
    return render_template("dashboard/sign_in.html", next=request.args.get("next", ""))


@bp.post("/sign-in")
def sign_in():
    """Sign in with a moderator key; a site key or an unknown key is refused."""
    if security.sign_in(request.form.get("key", "")) is None:
        return render_template("dashboard/sign_in.html", next=request.form.get("next", ""),
                               error="That is not a moderator key."), 401
    return redirect(security.safe_next(request.form.get("next")))


@bp.post("/sign-out")
def sign_out():
    """End the session."""
    security.sign_out()
    return redirect(url_for("dashboard.sign_in_page"))


# The queue.

def _queue_query(args) -> QueueQuery:
    sent = {name: args[name] for name in (*QUEUE_FILTERS, "cursor") if args.get(name)}
    return validate(QueueQuery, {"limit": PAGE_SIZE, **sent})


def _card(comment) -> dict:
    """What a queue card shows beside the comment itself."""
    return {"comment": comment, "segments": present.highlight(comment.comment, present.blamed_terms(comment.reasons)),
            "bars": present.score_bars(comment.scores)}


def _queue_page(args):
    try:
        query = _queue_query(args)
        with database().reading() as connection:
            page = comments_repo.queue(connection, query)
    except ValidationFailed as error:
        return None, {"filters": error.errors}
    except BadCursor as error:
        return None, {"cursor": [str(error)]}
    return page, {}


def _filters(args) -> dict[str, str]:
    return {name: args[name] for name in QUEUE_FILTERS if args.get(name)}


@bp.get("/queue")
@security.moderator_required
def queue():
    """Held comments (or any status), filtered and ordered as GET /v1/queue, one card each."""
    page, errors = _queue_page(request.args)
    filters = _filters(request.args)
    return render_template(
        "dashboard/queue.html", cards=[_card(c) for c in page.items] if page else [],
        next_cursor=page.next_cursor if page else None, filters=filters, errors=errors, orders=list(QueueOrder),
        statuses=list(Status)), 422 if errors else 200


@bp.get("/queue/more")
@security.moderator_required
def queue_more():
    """The next page's cards as an HTML fragment, for the script to append without a reload."""
    page, errors = _queue_page(request.args)
    if errors:
        raise invalid_fields(errors)
    return render_template("dashboard/_cards.html", cards=[_card(c) for c in page.items],
                           next_cursor=page.next_cursor, filters=_filters(request.args))


def _review(comment_id: str, kind: str) -> StoredComment:
    if kind not in QUICK_REVIEWS:
        raise invalid_fields({"action": [f"Must be one of {', '.join(QUICK_REVIEWS)}."]})
    with database().reading() as connection:
        current = comments_repo.get(connection, comment_id)
    if current is None:
        raise not_found(f"No comment has the id {comment_id!r}.")
    comment, previous = review_comment(database(), comment_id, quick_review(current, kind), g.api_key.id,
                                       notify=webhooks_enabled())
    if comment.status != previous:
        job_runner().wake()
    return comment


@bp.post("/comments/<comment_id>/review")
@security.moderator_required
def review(comment_id: str):
    """Approve, reject, or reject as spam or as toxic, one comment (the keys a, r, s and t)."""
    comment = _review(comment_id, request.form.get("action", ""))
    if security.wants_json():
        return jsonify({"id": comment.id, "status": comment.status, "message": f"Comment {comment.status}."})
    flash(f"Comment {comment.status}.")
    return redirect(url_for("dashboard.queue", **_filters(request.form)))


@bp.post("/comments/<comment_id>/undo")
@security.moderator_required
def undo(comment_id: str):
    """Undo a comment's last review (the key u)."""
    try:
        comment, undone = undo_review(database(), comment_id, g.api_key.id, notify=webhooks_enabled())
    except NotFound:
        raise not_found(f"No comment has the id {comment_id!r}.") from None
    except NotReviewed:
        raise ApiError(409, "Conflict", "This comment has no review to undo.", slug="not-reviewed") from None
    if comment.status != undone:
        job_runner().wake()
    if security.wants_json():
        return jsonify({"id": comment.id, "status": comment.status, "message": f"Review undone: {comment.status}."})
    flash(f"Review undone: the comment is {comment.status} again.")
    return redirect(url_for("dashboard.queue"))


@bp.post("/queue/bulk")
@security.moderator_required
def bulk():
    """Approve or reject every selected comment."""
    kind = request.form.get("action", "")
    if kind not in ("approve", "reject"):
        raise invalid_fields({"action": ["Must be approve or reject."]})
    ids = request.form.getlist("ids")
    if not ids:
        raise invalid_fields({"ids": ["Select at least one comment."]})
    done = [_review(comment_id, kind) for comment_id in dict.fromkeys(ids)]
    return _done(f"{len(done)} comments {'approved' if kind == 'approve' else 'rejected'}.", "dashboard.queue",
                 **_filters(request.form))


# Authors.

def _author_entries(entries, email: str):
    domain = email.rpartition("@")[2].lower()
    return [e for e in entries if e.kind == "author" and
            ((e.match == "email" and e.value == email.lower()) or (e.match == "email_domain" and e.value == domain))]


@bp.get("/author")
@security.moderator_required
def author():
    """One commenter: their comments with decisions and reviews, their record, and trust and block actions."""
    email = request.args.get("email", "").strip()
    if not email or len(email) > 320:
        raise invalid_fields({"email": ["Give the commenter's email."]})
    with database().reading() as connection:
        comments = comments_repo.by_author(connection, email)
        history = comments_repo.author_histories(connection, {email})[email]
    entries = _author_entries(rule_changes.current(database()).entries, email)
    return render_template("dashboard/author.html", email=email, cards=[_card(c) for c in comments],
                           history=history, entries=entries)


# Rules.

def _setting_fields() -> list[tuple[str, str, str]]:
    """(name, kind of input, description) of every setting the settings form edits; shadow has its toggles."""
    fields = []
    for name, field in RuleSettings.model_fields.items():
        if name != "shadow":
            kind = ("bool" if field.annotation is bool else "text" if field.annotation is str
                    else "optional" if field.default is None else "other")
            fields.append((name, kind, field.description or ""))
    return fields


@bp.get("/rules")
@security.moderator_required
def rules(errors: dict | None = None, status: int = 200):
    """The settings and lists, editable, with shadow-mode toggles and who changed what, from the audit log."""
    config = rule_changes.current(database())
    with database().reading() as connection:
        changes = audit_repo.recent(connection, limit=50, actions=RULE_ACTIONS)
    entries = {kind: [e for e in config.entries if e.kind == kind] for kind in ("word", "domain", "author")}
    return render_template("dashboard/rules.html", settings=config.settings, fields=_setting_fields(),
                           entries=entries, changes=changes, shadow_codes=SHADOW_CODES, errors=errors or {},
                           model_thresholds=_model_thresholds(), pinned=current_app.config["THRESHOLDS"]), status


def _model_thresholds() -> dict[str, float]:
    """The serving model's thresholds, as the settings form names them (its placeholders)."""
    serving = active_model().get()
    thresholds = serving.manifest.get("thresholds", {}) if serving else {}
    return {f"{label}_{action}": values[action] for label, values in thresholds.items()
            for action in ("hold_at", "reject_at") if action in values}


@bp.post("/rules/settings")
@security.moderator_required
def update_settings():
    """Save the settings form; only the values that changed are sent to the domain (and audited)."""
    current = rule_changes.current(database()).settings
    sent = {}
    for name, kind, _ in _setting_fields():
        if kind == "bool":
            sent[name] = request.form.get(name) == "on"
        elif kind == "optional" and name in request.form:
            # Blank: no value of the moderator's (the model's threshold applies).
            sent[name] = request.form[name].strip() or None
        elif name in request.form:
            sent[name] = request.form[name]
    try:
        wanted = validate(RuleSettings, {**current.model_dump(), **sent})
    except ValidationFailed as error:
        return rules(errors=error.errors, status=422)
    changed = {name: getattr(wanted, name) for name in sent if getattr(wanted, name) != getattr(current, name)}
    for label in ("spam", "toxicity"):
        # A threshold is changed with its partner (RuleSettings takes them in pairs).
        pair = (f"{label}_hold_at", f"{label}_reject_at")
        if any(name in changed for name in pair):
            changed.update({name: getattr(wanted, name) for name in pair})
    if changed:
        rule_changes.change_settings(database(), RuleSettings(**changed), g.api_key.id)
        moderator().rules.invalidate()
    return _done(f"Settings saved ({', '.join(changed) or 'nothing changed'}).", "dashboard.rules")


@bp.post("/rules/shadow")
@security.moderator_required
def toggle_shadow():
    """Put one rule code (or the model) in shadow mode, or take it out."""
    code = request.form.get("code", "")
    if code not in SHADOW_CODES:
        raise invalid_fields({"code": [f"Must be one of {', '.join(SHADOW_CODES)}."]})
    shadow = list(rule_changes.current(database()).settings.shadow)
    on = request.form.get("shadow") == "on"
    shadow = [c for c in shadow if c != code] + ([code] if on else [])
    rule_changes.change_settings(database(), RuleSettings(shadow=tuple(shadow)), g.api_key.id)
    moderator().rules.invalidate()
    return _done(f"{code} is {'in shadow mode' if on else 'live'}.", "dashboard.rules")


@bp.post("/rules/entries")
@security.moderator_required
def add_entry():
    """Add a word, domain or author entry (the author page's trust and block buttons post here too)."""
    fields = {name: request.form[name] for name in ("kind", "action", "value", "match", "note")
              if request.form.get(name)}
    try:
        entry = validate(RuleEntryIn, fields)
    except ValidationFailed as error:
        if request.form.get("back") == "author":
            raise invalid_fields(error.errors) from None
        return rules(errors=error.errors, status=422)
    added = rule_changes.add_entry(database(), entry, g.api_key.id)
    moderator().rules.invalidate()
    message = f"Added {added.kind} entry {added.value!r} ({added.action})."
    if request.form.get("back") == "author":
        return _done(message, "dashboard.author", email=request.form.get("email", added.value))
    return _done(message, "dashboard.rules")


@bp.post("/rules/entries/<int(max=2147483647):entry_id>/delete")
@security.moderator_required
def delete_entry(entry_id: int):
    """Remove an entry."""
    try:
        rule_changes.delete_entry(database(), entry_id, g.api_key.id)
    except NotFound:
        raise not_found(f"No rule entry has the id {entry_id}.") from None
    moderator().rules.invalidate()
    if request.form.get("back") == "author" and request.form.get("email"):
        return _done(f"Removed entry {entry_id}.", "dashboard.author", email=request.form["email"])
    return _done(f"Removed entry {entry_id}.", "dashboard.rules")


# Models.

def _manifest_time(manifest: dict | None) -> datetime | None:
    try:
        return datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00")) if manifest else None
    except (KeyError, ValueError, AttributeError):
        return None


@bp.get("/models")
@security.moderator_required
def models():
    """Versions with metrics and gate, retraining with live progress, activation and rollback, new labels."""
    store = active_model().store
    versions = store.versions()
    active = store.active_version()
    serving = active_model().get()
    active_manifest = next((m for m in versions if m["version"] == active), None)
    with database().reading() as connection:
        new_labels = labels_repo.counts_since(connection, _manifest_time(active_manifest))
        job = jobs_repo.get(connection, request.args["job"]) if request.args.get("job") else None
        # Rolling back activates the version that was active before this one was activated (or trained).
        activations = audit_repo.recent(connection, target=active, limit=1,
                                        actions=("model.activate", "model.trained")) if active else []
    previous = activations[0].details.get("previous") if activations else None
    return render_template("dashboard/models.html", versions=versions, active=active,
                           serving=serving.version if serving else None, new_labels=new_labels,
                           active_manifest=active_manifest, job=job, previous=previous)


@bp.post("/models/train")
@security.moderator_required
def train():
    """Start a training job; the models page then follows its progress."""
    job = queue_training(database(), job_runner(), TrainIn(activate=request.form.get("activate") == "on"),
                         g.api_key.id)
    return redirect(url_for("dashboard.models", job=job.id))


@bp.get("/jobs/<job_id>")
@security.moderator_required
def job_status(job_id: str):
    """A job's status as JSON, polled by the models page while it runs."""
    with database().reading() as connection:
        job = jobs_repo.get(connection, job_id)
    if job is None:
        abort(404)
    return jsonify({"id": job.id, "status": job.status, "error": job.error,
                    "version": (job.result or {}).get("version"), "activated": (job.result or {}).get("activated"),
                    "started_at": job.started_at.isoformat() if job.started_at else None,
                    "finished_at": job.finished_at.isoformat() if job.finished_at else None})


@bp.post("/models/<version>/activate")
@security.moderator_required
def activate(version: str):
    """Serve this version from now on (also how to roll back)."""
    try:
        activation = activate_version(database(), active_model(), version, g.api_key.id)
    except NotFound:
        raise not_found(f"No model version {version!r} is in the model store.") from None
    except ModelLoadError as error:
        raise ApiError(409, "Conflict", f"Version {version} cannot be activated: {error}",
                       slug="model-refused") from None
    return _done(f"Now serving {activation.active_version} (was {activation.previous_version}).", "dashboard.models")


# Stats.

DECISION_ORDER = ("accept", "hold", "reject")


@bp.get("/stats")
@security.moderator_required
def stats():
    """Decisions and reason codes per day, live and shadow, as server-rendered SVG charts."""
    try:
        query = validate(StatsQuery, {"days": request.args.get("days", "14")})
    except ValidationFailed as error:
        raise invalid_fields(error.errors) from None
    with database().reading() as connection:
        daily = comments_repo.daily_stats(connection, query.days)
        totals = comments_repo.stats(connection, query.days)
    codes = sorted(set(daily.reasons) | set(daily.shadow_reasons))
    reason_charts = [(code, present.paired_chart(daily.days, daily.reasons.get(code, {}),
                                                 daily.shadow_reasons.get(code, {}))) for code in codes]
    return render_template("dashboard/stats.html", days=query.days, totals=totals,
                           decisions=present.stacked_chart(daily.days, daily.decisions, DECISION_ORDER),
                           reason_charts=reason_charts)
