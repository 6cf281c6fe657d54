"""The dashboard's session, sign-in, CSRF and headers.

The session is Flask's signed cookie (signed with the instance secret). It holds only the id of the moderator key
that signed in, never the key; every request looks that id up in the key ring again, so a revoked key ends its
sessions within the ring's refresh interval. CSRF tokens are Flask-WTF's, checked on every state-changing request
of the dashboard only: the API authenticates with Bearer keys, which a browser never sends on its own.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from moderation.keys import MODERATOR, ApiKey
from moderation.limits import AUTH_FAILURES
from service.auth import key_by_id, keyring
from service.errors import ApiError

SESSION_KEY = "moderator_key_id"
SIGNED_IN_AT = "signed_in_at"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# No inline script or style anywhere: every script and stylesheet is a file under /moderate/static.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request came over HTTPS.

    Behind a proxy, request.is_secure follows X-Forwarded-Proto once MODERATION_TRUSTED_PROXIES is set, so the
    same deployment serves a Secure cookie on https and still works on plain http (a developer's machine).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so (MODERATION_SECURE_COOKIES) or when this request is HTTPS."""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (bool(request) and request.is_secure)


def init_app(app: Flask) -> None:
    """The session cookie's flags and lifetime, and Flask-WTF's token settings."""
    app.session_interface = SessionInterface()
    app.config["SESSION_COOKIE_NAME"] = "moderation_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    # The token lives as long as the session; the session's own age is checked below.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # A global, not a context variable, so that imported macros see it too.
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """This session's CSRF token, for forms (a hidden field) and for scripts (a meta tag)."""
    return generate_csrf()


def check_csrf() -> None:
    """Refuse (400 problem) a state-changing request without this session's token, in the form or a header."""
    if request.method in SAFE_METHODS:
        return
    token = request.form.get("csrf_token") or request.headers.get(CSRF_HEADER)
    try:
        validate_csrf(token)
    except (ValidationError, CSRFError) as error:
        raise ApiError(400, "Bad Request", f"CSRF check failed: {error}", slug="csrf") from None


def sign_in(token: str) -> ApiKey | None:
    """Start a session for a moderator key; None (and a counted failure) for anything else."""
    key = keyring().authenticate(token.strip() or None)
    if key is None or key.role != MODERATOR or key.akismet_only:
        current_app.extensions["moderation.limits"].hit((AUTH_FAILURES, request.remote_addr or ""))
        return None
    # A fresh session on sign-in: nothing set before it (a planted session) survives.
    session.clear()
    session[SESSION_KEY] = key.id
    session[SIGNED_IN_AT] = time.time()
    return key


def sign_out() -> None:
    """End the session."""
    session.clear()


def signed_in_key() -> ApiKey | None:
    """The session's moderator key, if it is still valid and the session has not expired."""
    key_id, started = session.get(SESSION_KEY), session.get(SIGNED_IN_AT)
    if not isinstance(key_id, str) or not isinstance(started, int | float):
        return None
    if time.time() - started > current_app.config["DASHBOARD_SESSION_HOURS"] * 3600:
        return None
    key = key_by_id(key_id)
    return key if key is not None and key.role == MODERATOR and not key.akismet_only else None


def wants_json() -> bool:
    """Whether the caller is the dashboard's script (which asks for JSON) rather than a page load."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def moderator_required(view):
    """Run view only for a signed-in moderator (g.api_key); pages redirect to sign-in, scripts get a 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = signed_in_key()
        if key is None:
            session.pop(SESSION_KEY, None)
            if wants_json() or request.method not in SAFE_METHODS:
                raise ApiError(401, "Unauthorized", "Sign in to the dashboard with a moderator key.")
            return redirect(url_for("dashboard.sign_in_page", next=request.full_path if request.args else
                                    request.path))
        g.api_key = key
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path only, never another site."""
    prefix = url_for("dashboard.index")
    if target and target.startswith(prefix) and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.queue")


def security_headers(response):
    """CSP without inline script, no framing, no sniffing, and no caching of pages that show comments."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response
