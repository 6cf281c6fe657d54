"""The `moderation` command: set up an instance and train models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from model import ModelStore, load_training_data, train_model
from moderation import settings as settings_module
from moderation.keys import MODERATOR, SITE, load_or_create_instance_keys
from moderation.store import Store


def _train(settings: dict, data_dir: str | None, activate: bool | None) -> dict:
    store = ModelStore(settings["MODEL_DIR"])
    examples = load_training_data(Path(data_dir or settings["TRAINING_DATA_DIR"]))
    print(f"training on {len(examples)} examples ...", file=sys.stderr)
    manifest = store.save(train_model(examples))
    if activate or (activate is None and store.active_version() is None):
        store.activate(manifest["version"])
        manifest["active"] = True
    return manifest


def cmd_train(args: argparse.Namespace, settings: dict) -> int:
    """Train a model from training_data/ and store it as a new version."""
    manifest = _train(settings, args.data, args.activate)
    summary = {key: manifest[key] for key in ("version", "metrics", "thresholds", "training_data")}
    summary["active"] = manifest.get("active", False)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_init(args: argparse.Namespace, settings: dict) -> int:
    """Prepare an instance: schema, keys (if none are configured) and a model (if none is active)."""
    instance = settings_module.instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    Store(settings["DATABASE_URL"]).create_schema()
    if not settings["SITE_KEYS"] and not settings["MODERATOR_KEYS"]:
        keys, created = load_or_create_instance_keys(instance)
        if created:
            print(f"Generated API keys (kept in {instance / 'keys.json'}):")
            print(f"  site key:      {keys[SITE][0]}")
            print(f"  moderator key: {keys[MODERATOR][0]}")
        else:
            print(f"Using the API keys in {instance / 'keys.json'}.")
    if ModelStore(settings["MODEL_DIR"]).active_version() is None:
        manifest = _train(settings, None, True)
        print(f"Trained and activated model {manifest['version']}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="moderation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help=cmd_train.__doc__)
    train.add_argument("--data", help="directory of *.jsonl training files (default: training_data/)")
    train.add_argument("--activate", action=argparse.BooleanOptionalAction, default=None,
                       help="activate the new version (default: only if no version is active)")
    train.set_defaults(handler=cmd_train)
    init = commands.add_parser("init", help=cmd_init.__doc__)
    init.set_defaults(handler=cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings_module.from_env()
        return args.handler(args, settings)
    except (settings_module.SettingsError, ValueError) as error:
        print(f"moderation: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
