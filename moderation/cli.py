"""The `moderation` command: set up an instance and train models."""

from __future__ import annotations

import argparse
import json
import sys

from model import ModelLoadError, ModelStore
from moderation import settings as settings_module
from moderation.importing import ImportFailed, read_labelled_file
from moderation.instance import private_folder
from moderation.keys import MODERATOR, SITE, load_or_create_instance_keys
from moderation.retraining import train_new_version
from moderation.reviewing import import_labels
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


def cmd_init(args: argparse.Namespace, settings: dict) -> int:
    """Prepare an instance: migrate the database, keys (if none are configured) and a model (if none is active,
    or the active one no longer loads)."""
    instance = settings_module.instance_path()
    cmd_db(argparse.Namespace(action="upgrade"), settings)
    database = _database(settings)
    if not settings["SITE_KEYS"] and not settings["MODERATOR_KEYS"]:
        keys, created = load_or_create_instance_keys(instance)
        if created:
            print(f"Generated API keys (kept in {instance / 'keys.json'}):")
            print(f"  site key:      {keys[SITE][0]}")
            print(f"  moderator key: {keys[MODERATOR][0]}")
        else:
            print(f"Using the API keys in {instance / 'keys.json'}.")
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
