"""Does the model learn from moderators? Feed N real labelled comments through POST /v1/feedback, retrain,
and measure ROC-AUC on the dataset's test part; most-uncertain-first against random order.

    make bench-learning     # or: .venv/bin/python -m bench.learning --datasets olid,youtube-spam --sizes 0,50,200,800

Each run starts from a fresh instance whose only model is the shipped default one. Labels go through the
HTTP API (the test client of the real app), and retraining is the service's own: corpus plus labels,
labels weighted MODERATION_LABEL_WEIGHT. Nothing trained here is kept.
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

import numpy as np
from sklearn.metrics import roc_auc_score

from bench import datasets
from bench.accuracy import RESULTS, default_model
from bench.datasets import Dataset, Item
from moderation import settings
from moderation.retraining import train_new_version
from moderation.store import Database
from service import create_app

KEY = "bench-moderator"


def pool_and_test(dataset: Dataset) -> tuple[list[Item], list[Item]]:
    """Where labels come from and what the model is measured on (cross-video for YouTube spam)."""
    if dataset.folds:
        return dataset.folds[-1]
    return dataset.train, dataset.test


def choose(pool: list[Item], label: str, count: int, order: str, model) -> list[Item]:
    """The first `count` items of the pool in the given order, judged by the starting model."""
    count = min(count, len(pool))
    if order == "random":
        return random.Random(0).sample(pool, count)
    scores = np.array([getattr(s, label) for s in model.score_many([i.fields() for i in pool], explain=False)])
    return [pool[i] for i in np.argsort(np.abs(scores - 0.5))[:count]]


def feedback_body(item: Item, label: str, number: int) -> dict:
    """A POST /v1/feedback body for one dataset item."""
    return {"name": item.name or f"Reader {number}", "email": f"reader{number}@example.org",
            "comment": item.comment[:10_000] or ".",
            "labels": {"spam": bool(item.label) if label == "spam" else False,
                       "toxic": bool(item.label) if label == "toxicity" else False}}


def run_once(dataset: Dataset, items: list[Item], test: list[Item], base_settings: dict) -> dict:
    """A fresh instance, N labels through the API, retrain, and the new model's ROC-AUC on test."""
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "models"
        shutil.copytree(base_settings["MODEL_DIR"], model_dir)
        config = {**base_settings, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "MODEL_DIR": str(model_dir),
                  "SITE_KEYS": [], "MODERATOR_KEYS": [KEY], "TESTING": True}
        Database(config["DATABASE_URL"]).upgrade()
        app = create_app(config)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {KEY}"}
        for number, item in enumerate(items):
            response = client.post("/v1/feedback", json=feedback_body(item, dataset.label, number), headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"feedback refused: {response.get_json()}")
        started = time.perf_counter()
        result = train_new_version(config, app.extensions["moderation.database"], activate=False)
        model = app.extensions["moderation.model"].store.load(result["version"]).model
        y = np.array([i.label for i in test])
        p = model.probabilities([i.fields() for i in test])[dataset.label]
        return {"n": len(items), "roc_auc": float(roc_auc_score(y, p)), "labels_trained": result["sources"]["labels"],
                "train_seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    """Run the learning curve for each dataset and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="olid,youtube-spam")
    parser.add_argument("--sizes", default="0,50,200,800")
    args = parser.parse_args()
    if not datasets.available():
        print(f"bench-learning: skipped, no datasets at {datasets.DATASETS_DIR}")
        return 0
    loaded = default_model()
    base = settings.from_env()
    sizes = [int(n) for n in args.sizes.split(",")]
    results = {"model_version": loaded.version, "datasets": {}}
    for name in args.datasets.split(","):
        dataset = datasets.load(name)
        if dataset is None:
            print(f"{name}: files missing, skipped")
            continue
        pool, test = pool_and_test(dataset)
        y = np.array([i.label for i in test])
        start = roc_auc_score(y, loaded.model.probabilities([i.fields() for i in test])[dataset.label])
        print(f"{name} ({dataset.label}): {len(pool)} comments to label, {len(test)} to test; "
              f"default model ROC-AUC {start:.3f}")
        curves = {}
        for order in ("uncertain", "random"):
            curves[order] = []
            for size in sizes:
                if size == 0 and order == "random" and curves["uncertain"]:
                    curves[order].append(curves["uncertain"][0])  # no labels: the same run
                    continue
                figures = run_once(dataset, choose(pool, dataset.label, size, order, loaded.model), test, base)
                curves[order].append(figures)
                print(f"  {order:9} N={size:4d}  ROC-AUC {figures['roc_auc']:.3f}  "
                      f"(trained on {figures['labels_trained']} labels, {figures['train_seconds']} s)", flush=True)
        results["datasets"][name] = {"default_roc_auc": start, "curves": curves}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
