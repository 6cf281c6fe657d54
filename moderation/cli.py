"""The `moderation` command: set up an instance and train models."""

from __future__ import annotations

import argparse
import json
import sys

from model import ModelLoadError
from moderation import settings as settings_module
from moderation.importing import FORMATS, ImportFailed, Unlabelled, import_rows, remove_batch, rows_from, wordpress_rows
from moderation.instance import model_store, private_folder, secret_key
from moderation.jobs import KINDS
from moderation.keys import MODERATOR, SITE, create_key, legacy_keys_file, list_keys, revoke_key
from moderation.privacy import IpPolicy, forget, parse_age, purge
from moderation.retraining import train_new_version
from moderation.schemas import isoformat
from moderation.store import Database, SchemaOutdated, StoreUnavailable
from moderation.store import labels as labels_repo
from moderation.validation import ValidationSettings

CLI_ACTOR = "cli"


def _database(settings: dict) -> Database:
    """The configured database, which must be migrated."""
    database = Database(settings["DATABASE_URL"])
    database.check_schema()
    return database


def cmd_db(args: argparse.Namespace, settings: dict) -> int:
    """Manage the database schema: `upgrade` applies pending migrations, `current` shows the revision."""
    database = Database(settings["DATABASE_URL"])
    if args.action == "upgrade":
        before, after = database.upgrade()
        print(f"database schema: {before or 'empty'} -> {after}" if before != after else
              f"database schema is up to date ({after})")
    else:
        print(database.revision() or "none")
    return 0


def cmd_train(args: argparse.Namespace, settings: dict) -> int:
    """Train on training_data/ plus every stored label; store a new version (activate it if it passes the gate)."""
    if args.data:
        settings = {**settings, "TRAINING_DATA_DIR": args.data}
    print("training ...", file=sys.stderr)
    result = train_new_version(settings, _database(settings), activate=args.activate)
    print(json.dumps(result, indent=2))
    return 0


def cmd_import(args: argparse.Namespace, settings: dict) -> int:
    """Add labelled comments from a site's history: a WordPress export (WXR), WordPress's database, a Disqus
    export, or a CSV/TSV or JSON Lines file. Every rejected row is reported; the others are imported."""
    database = _database(settings)
    pending, trash = Unlabelled(args.pending), Unlabelled(args.trash)
    if args.wordpress:
        if args.file:
            raise ImportFailed("give a file or --wordpress, not both")
        rows, file_format = wordpress_rows(args.wordpress, pending, trash, args.table_prefix), "wordpress"
        source = args.wordpress
    elif not args.file or not args.format:
        raise ImportFailed("give a file and its --format, or --wordpress mysql://...")
    else:
        rows, file_format, source = rows_from(args.format, args.file, pending, trash), args.format, args.file
    validation = ValidationSettings(max_comment_length=settings["MAX_COMMENT_LENGTH"])
    report = import_rows(database, rows, _shown(source), file_format, CLI_ACTOR, validation)
    for rejected in report.rejected:
        print(f"rejected {rejected}", file=sys.stderr)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.by_kind.items())) or "none"
    print(f"imported {report.imported} labelled comments ({kinds}) as batch {report.batch}; "
          f"{len(report.rejected)} rejected, {report.skipped} without a label skipped. "
          "Retrain with `moderation train` to use them.")
    return 0 if report.imported or not report.rejected else 2


def _shown(source: str) -> str:
    """A source as it may be stored and printed: a database URL loses its password."""
    if "://" not in source:
        return source
    from sqlalchemy.engine import make_url

    try:
        return make_url(source).render_as_string(hide_password=True)
    except Exception:
        return "a database URL"


def cmd_imports(args: argparse.Namespace, settings: dict) -> int:
    """List import batches with their labels counted by kind, or remove one batch and its labels."""
    database = _database(settings)
    if args.action == "remove":
        removed = remove_batch(database, args.batch, CLI_ACTOR)
        if removed is None:
            print(f"moderation: no import batch has the id {args.batch!r}", file=sys.stderr)
            return 2
        print(f"removed import batch {args.batch} and its {removed} labels; retrain to forget them")
        return 0
    with database.reading() as connection:
        batches = labels_repo.batches(connection)
    print("batch\tcreated\tformat\tsource\tlabels\tacceptable\tspam\ttoxic\trejected\tskipped")
    for b in batches:
        print(f"{b.id}\t{isoformat(b.created_at)}\t{b.format}\t{b.source}\t{b.labels}\t{b.acceptable}\t{b.spam}"
              f"\t{b.toxic}\t{b.rejected}\t{b.skipped}")
    return 0


def _first_keys(database: Database) -> None:
    """Keys for an instance that has none: those an earlier release kept in plain text move into the database
    (hashed); otherwise a site key and a moderator key are created and shown, once."""
    if any(info.revoked_at is None for info in list_keys(database)):
        return
    legacy = legacy_keys_file(settings_module.instance_path())
    if legacy.exists():
        stored = json.loads(legacy.read_text())
        for role in (SITE, MODERATOR):
            for secret in stored.get(role, []):
                create_key(database, role, CLI_ACTOR, name=f"from {legacy.name}", secret=secret)
        legacy.unlink()
        print(f"Moved the keys of {legacy} into the database, stored hashed, and removed the file.")
        return
    print("No API keys yet. Created these two; they are shown this once and stored only as hashes:")
    for role in (SITE, MODERATOR):
        secret, info = create_key(database, role, CLI_ACTOR, name="first key")
        print(f"  {role} key ({info.id}): {secret}")
    print("Manage keys with `moderation keys create|list|revoke`.")


def cmd_keys(args: argparse.Namespace, settings: dict) -> int:
    """Manage API keys: `create` (shows the new key once), `list` (never shows secrets), `revoke ID`."""
    database = _database(settings)
    if args.action == "create":
        secret, info = create_key(database, args.role, CLI_ACTOR, name=args.name, akismet=args.akismet)
        print(f"Created {info.role} key {info.id}{' (Akismet endpoints only)' if info.akismet_only else ''}. "
              "It is shown this once and stored only as a hash:", file=sys.stderr)
        print(secret)
    elif args.action == "list":
        for info in list_keys(database):
            state = f"revoked {isoformat(info.revoked_at)}" if info.revoked_at else "active"
            kind = " akismet" if info.akismet_only else ""
            print(f"{info.id}\t{info.role}{kind}\t{state}\tcreated {isoformat(info.created_at)} by "
                  f"{info.created_by}\t{info.name}")
    elif not revoke_key(database, args.id, CLI_ACTOR):
        print(f"moderation: no active key has the id {args.id!r}", file=sys.stderr)
        return 2
    else:
        print(f"Revoked {args.id}; every worker stops accepting it within seconds.")
    return 0


def cmd_models_sign(args: argparse.Namespace, settings: dict) -> int:
    """Sign a model version's manifest with this instance's secret, so the service will load it (only for
    versions you trust: one trained elsewhere, or by a release that did not sign)."""
    models = model_store(settings)
    try:
        models.manifest(args.version)
        models.sign(args.version)
    except ModelLoadError as error:
        print(f"moderation: {error}", file=sys.stderr)
        return 2
    print(f"Signed model version {args.version}.")
    return 0


def cmd_worker(args: argparse.Namespace, settings: dict) -> int:
    """Run queued jobs (training, webhook deliveries) until stopped; several workers may share one database."""
    import logging
    import signal
    import threading

    from moderation.jobs import Worker

    unknown = set(args.kinds or ()) - set(KINDS)
    if unknown:
        print(f"moderation: no job kind {', '.join(sorted(unknown))} (kinds: {', '.join(KINDS)})", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = Worker(settings, _database(settings), kinds=args.kinds or KINDS)
    if args.once:
        while worker.run_once():
            pass
        return 0
    stop = threading.Event()
    # SIGTERM (docker stop, systemd) ends the loop after the current job; a job cut short is taken back later.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(stop)
    return 0


def cmd_init(args: argparse.Namespace, settings: dict) -> int:
    """Prepare an instance: migrate the database, keys (if none are configured) and a model (if none is active,
    or the active one no longer loads)."""
    cmd_db(argparse.Namespace(action="upgrade"), settings)
    database = _database(settings)
    if not settings["SITE_KEYS"] and not settings["MODERATOR_KEYS"]:
        _first_keys(database)
    models = model_store(settings)
    if models.active_version() is None:
        print("No model yet: training the default model from training_data/ ...")
    else:
        try:
            models.load_active()
            return 0
        except ModelLoadError as error:
            # After an upgrade the active model may no longer load (other library or feature versions):
            # the instance is not ready until it has one that does.
            print(f"The active model cannot be loaded ({error}); training a new one ...")
    result = train_new_version(settings, database, activate=True)
    print(f"Trained and activated model {result['version']}.")
    return 0


def cmd_purge(args: argparse.Namespace, settings: dict) -> int:
    """Remove the name, email, address, URL and browser of rejected and spam comments older than --older-than,
    keeping them as anonymised training examples; hash (or remove) addresses still stored in the clear."""
    policy = IpPolicy(settings["STORE_IP"], settings["SECRET_KEY"])
    result = purge(_database(settings), parse_age(args.older_than), actor=CLI_ACTOR, ip_policy=policy)
    print(f"anonymised {result.comments} comments and {result.labels} labels older than "
          f"{result.older_than_days} days; stored {result.addresses} addresses kept in the clear as "
          f"MODERATION_STORE_IP={policy.mode} says")
    return 0


def cmd_forget(args: argparse.Namespace, settings: dict) -> int:
    """Remove everything about the person with this email: comments, their history, labels' personal fields and
    author-list entries; an audit event records it without the address."""
    result = forget(_database(settings), args.email, CLI_ACTOR, settings["SECRET_KEY"])
    print(f"removed {result.comments} comments, {result.author_entries} author-list entries and "
          f"{result.audit_events} audit events about them; anonymised {result.labels} labels")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="moderation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help=cmd_train.__doc__)
    train.add_argument("--data", help="directory of *.jsonl training files (default: training_data/)")
    train.add_argument("--activate", action="store_true",
                       help="activate the new version if it is not worse than the active one "
                            "(the first version is always activated)")
    train.set_defaults(handler=cmd_train)
    importer = commands.add_parser("import", help=cmd_import.__doc__)
    importer.add_argument("file", nargs="?", help="the export or labelled file (not with --wordpress)")
    importer.add_argument("--format", choices=FORMATS,
                          help="wxr: WordPress Tools → Export; disqus: Disqus XML export; csv or jsonl: labelled rows")
    importer.add_argument("--wordpress", metavar="URL",
                          help="read WordPress's database directly: mysql://user:password@host:3306/database")
    importer.add_argument("--table-prefix", default="wp_", help="WordPress's table prefix (default wp_)")
    choices = [choice.value for choice in Unlabelled]
    importer.add_argument("--pending", choices=choices, default="skip",
                          help="what WordPress's pending comments (comment_approved 0) become (default: skip)")
    importer.add_argument("--trash", choices=choices, default="skip",
                          help="what WordPress's trashed and Disqus's deleted comments become (default: skip)")
    importer.set_defaults(handler=cmd_import)
    imports = commands.add_parser("imports", help=cmd_imports.__doc__)
    imports.add_argument("action", nargs="?", choices=("list", "remove"), default="list")
    imports.add_argument("batch", nargs="?", help="the batch to remove")
    imports.set_defaults(handler=cmd_imports)
    models = commands.add_parser("models", help="model versions in the store").add_subparsers(dest="action",
                                                                                             required=True)
    sign = models.add_parser("sign", help=cmd_models_sign.__doc__)
    sign.add_argument("version")
    sign.set_defaults(handler=cmd_models_sign)
    init = commands.add_parser("init", help=cmd_init.__doc__)
    init.set_defaults(handler=cmd_init)
    keys = commands.add_parser("keys", help=cmd_keys.__doc__)
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="create a key and show it once")
    create.add_argument("--role", choices=(SITE, MODERATOR), required=True)
    create.add_argument("--name", default="", help="what the key is for, e.g. the site's name")
    create.add_argument("--akismet", action="store_true",
                        help="a 12-hex-character site key that Akismet's settings screen accepts (Akismet only)")
    key_actions.add_parser("list", help="every key, without secrets")
    revoke = key_actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id")
    keys.set_defaults(handler=cmd_keys)
    purger = commands.add_parser("purge", help=cmd_purge.__doc__)
    purger.add_argument("--older-than", required=True, metavar="AGE", help="an age in days, e.g. 30d")
    purger.set_defaults(handler=cmd_purge)
    forgetter = commands.add_parser("forget", help=cmd_forget.__doc__)
    forgetter.add_argument("--email", required=True)
    forgetter.set_defaults(handler=cmd_forget)
    worker = commands.add_parser("worker", help=cmd_worker.__doc__)
    worker.add_argument("--kinds", type=lambda value: value.split(","), metavar="KIND[,KIND]",
                        help=f"only these kinds of job (default: all of {', '.join(KINDS)})")
    worker.add_argument("--once", action="store_true", help="run every job that is due, then exit")
    worker.set_defaults(handler=cmd_worker)
    db = commands.add_parser("db", help=cmd_db.__doc__)
    db.add_argument("action", choices=("upgrade", "current"))
    db.set_defaults(handler=cmd_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings_module.from_env()
        settings["SECRET_KEY"] = secret_key(private_folder(settings_module.instance_path()))
        return args.handler(args, settings)
    except (settings_module.SettingsError, ImportFailed, StoreUnavailable, SchemaOutdated, ValueError,
            OSError) as error:
        print(f"moderation: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
