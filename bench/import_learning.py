"""A start from a site's own history: how much do imported labels teach the model? A learning curve of ROC-AUC
against the number of labels imported with `moderation import` and retrained on, next to the shipped model.

    make bench-learning     # or: .venv/bin/python -m bench.import_learning --datasets olid,youtube-spam --sizes 100,300

For each size N (100, 300, 1,000 and 3,000 by default, and the whole train split), N labelled comments drawn at
random (seeded) from the dataset's train part are written to a JSON Lines file, imported by the service's own
import (validation, batches, provenance `import`) into a fresh instance whose only model is the shipped one,
and the service's own retraining (team corpus plus labels, imports weighted as README "Labels and their weight"
says) trains a new model, measured on the test part:
- YouTube spam: trained on two videos' comments, tested on the third (Psy, KatyPerry: train; LMFAO: test);
- OLID: its train split, tested on its test set.
For comparison it also prints the pipeline trained on the whole train split alone, without the team corpus.
Nothing trained here is kept.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import datasets
from bench.accuracy import RESULTS, default_model, roc_auc_on, to_examples
from bench.datasets import Item
from model import train_model
from moderation import settings
from moderation.importing import import_rows, tabular_rows
from moderation.instance import model_store, secret_key
from moderation.retraining import train_new_version
from moderation.store import Database

SIZES = "100,300,1000,3000,all"


def export(items: list[Item], label: str, path: Path) -> None:
    """A site's history as `moderation import --format jsonl` reads it."""
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            record = {"comment": item.comment, "name": item.name,
                      "spam": item.label if label == "spam" else 0, "toxic": item.label if label == "toxicity" else 0}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_once(items: list[Item], test: list[Item], label: str, base_settings: dict) -> dict:
    """A fresh instance, the items imported, retrained; the new model's ROC-AUC on test."""
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "models"
        shutil.copytree(base_settings["MODEL_DIR"], model_dir)
        config = {**base_settings, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "MODEL_DIR": str(model_dir)}
        database = Database(config["DATABASE_URL"])
        database.upgrade()
        history = Path(tmp) / "history.jsonl"
        export(items, label, history)
        report = import_rows(database, tabular_rows(history, "jsonl"), history.name, "jsonl", "bench")
        started = time.perf_counter()
        result = train_new_version(config, database, activate=False)
        model = model_store(config).load(result["version"]).model
        database.dispose()
        return {"n": len(items), "imported": report.imported, "rejected": len(report.rejected),
                "roc_auc": roc_auc_on(model, test, label), "labels_trained": result["sources"]["imports"],
                "train_seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    """Run the learning curve for each dataset and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="youtube-spam,olid")
    parser.add_argument("--sizes", default=SIZES, help=f"comma-separated label counts, `all` for the whole train "
                                                       f"split (default {SIZES})")
    args = parser.parse_args()
    if not datasets.available():
        print(f"bench-learning (imports): skipped, no datasets at {datasets.DATASETS_DIR}")
        return 0
    loaded = default_model()
    base = {**settings.from_env(), "SECRET_KEY": secret_key(settings.instance_path())}
    results = {"model_version": loaded.version, "datasets": {}}
    for dataset in datasets.requested(args.datasets):
        pool, test = dataset.pool_and_test()
        start = roc_auc_on(loaded.model, test, dataset.label)
        print(f"{dataset.name} ({dataset.label}): {len(pool)} labelled comments to import, {len(test)} to test on; "
              f"shipped model ROC-AUC {start:.3f}", flush=True)
        alone = roc_auc_on(train_model(to_examples(pool, dataset.label)).model, test, dataset.label)
        print(f"  the whole train split alone, without the team corpus: ROC-AUC {alone:.3f}", flush=True)
        curve = []
        for size in args.sizes.split(","):
            count = len(pool) if size == "all" else int(size)
            if count > len(pool):
                print(f"  N={count:5d}  more than the {len(pool)} labelled comments there are: see N=all")
                continue
            chosen = pool if size == "all" else random.Random(0).sample(pool, count)
            figures = run_once(chosen, test, dataset.label, base)
            curve.append(figures)
            print(f"  N={len(chosen):5d}{' (all)' if size == 'all' else '      '} imported, corpus + labels: "
                  f"ROC-AUC {figures['roc_auc']:.3f}  ({figures['imported']} imported, {figures['rejected']} "
                  f"rejected by validation; trained in {figures['train_seconds']} s)", flush=True)
        results["datasets"][dataset.name] = {"shipped_roc_auc": start, "train_split_alone_roc_auc": alone,
                                             "curve": curve}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import_learning.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
