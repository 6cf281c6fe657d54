"""The `moderation` command: set up an instance and train models."""

from __future__ import annotations

import argparse
import json
import sys

from model import ModelLoadError, ModelStore
from moderation import settings as settings_module
from moderation.importing import ImportFailed, read_labelled_file
from moderation.instance import private_folder
from moderation.jobs import KINDS
from moderation.keys import MODERATOR, SITE, create_key, legacy_keys_file, list_keys, revoke_key
from moderation.retraining import train_new_version
from moderation.reviewing import import_labels
from moderation.schemas import isoformat
from moderation.store import Database, SchemaOutdated, StoreUnavailable

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
    """Add labelled examples from a CSV/TSV or JSON Lines file (native, YouTube Spam Collection or OLID columns)."""
    rows = read_labelled_file(args.file, args.format)
    count = import_labels(_database(settings), rows, actor=CLI_ACTOR)
    print(f"imported {count} labelled examples from {args.file}; retrain with `moderation train` to use them")
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
    models = ModelStore(settings["MODEL_DIR"])
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
    importer.add_argument("file")
    importer.add_argument("--format", choices=("csv", "jsonl"), required=True)
    importer.set_defaults(handler=cmd_import)
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
        private_folder(settings_module.instance_path())
        return args.handler(args, settings)
    except (settings_module.SettingsError, ImportFailed, StoreUnavailable, SchemaOutdated, ValueError,
            OSError) as error:
        print(f"moderation: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
