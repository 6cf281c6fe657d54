"""The HTTP service: a thin Flask shell around the moderation domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation import logs, settings
from moderation.instance import private_folder, secret_key


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment (or test_config), then extensions, blueprints, errors."""
    app = Flask(__name__, instance_path=str(settings.instance_path()))
    if test_config is None:
        app.config.from_mapping(settings.from_env())
    else:
        app.config.from_mapping(settings.defaults(settings.instance_path()))
        app.config.from_mapping(test_config)
    app.json.sort_keys = False
    if app.config["TRUSTED_PROXIES"]:
        # Behind that many reverse proxies, the client's address and scheme come from their X-Forwarded-* headers.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    private_folder(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    logs.configure()

    from service import dashboard, errors, extensions, observability
    from service.api import akismet, comments, health, models, perspective, review, rules

    observability.init_app(app)
    extensions.init_app(app)
    for blueprint in (comments.bp, review.bp, models.bp, rules.bp, akismet.bp, perspective.bp, health.bp):
        app.register_blueprint(blueprint)
    dashboard.init_app(app)
    errors.register_error_handlers(app)
    return app
