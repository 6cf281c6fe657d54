"""Does the model learn from moderators, and from an honest site's reports? Feed N real labelled comments
through the API, retrain, and measure ROC-AUC on the dataset's test part; most-uncertain-first against random
order, and a moderator's labels (POST /v1/feedback) against a site's reports (Akismet submit-spam/submit-ham
for spam, Perspective suggestscore for toxicity, with a site key).

    make bench-learning     # or: .venv/bin/python -m bench.learning --datasets olid,youtube-spam --sizes 0,50,200,800

Each run starts from a fresh instance whose only model is the shipped default one. Labels go through the
HTTP API (the test client of the real app), and retraining is the service's own: corpus plus labels, each
weighted by its provenance (README, "Labels and their weight"). Nothing trained here is kept.
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

from bench import datasets
from bench.accuracy import RESULTS, default_model, roc_auc_on
from bench.datasets import Dataset, Item
from moderation import settings
from moderation.limits import DEFAULT_LIMITS
from moderation.retraining import train_new_version
from moderation.store import Database
from service import create_app

KEY = "bench-moderator"
SITE_KEY = "bench-site"


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


def send_report(client, item: Item, label: str, number: int):
    """An honest site's report of one dataset item: Akismet for spam, Perspective for toxicity."""
    if label == "spam":
        form = {"api_key": SITE_KEY, "blog": "http://blog.example.org", "user_ip": "203.0.113.5",
                "comment_author": item.name or f"Reader {number}",
                "comment_author_email": f"reader{number}@example.org", "comment_content": item.comment[:10_000] or "."}
        return client.post(f"/1.1/submit-{'spam' if item.label else 'ham'}", data=form)
    body = {"comment": {"text": item.comment[:10_000] or "."}, "languages": ["en"],
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": float(item.label)}}}}
    return client.post(f"/v1alpha1/comments:suggestscore?key={SITE_KEY}", json=body)


def run_once(dataset: Dataset, items: list[Item], test: list[Item], base_settings: dict, channel: str) -> dict:
    """A fresh instance, N labels through the API (a moderator's or a site's), retrain, and the new model's
    ROC-AUC on test."""
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "models"
        shutil.copytree(base_settings["MODEL_DIR"], model_dir)
        config = {**base_settings, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "MODEL_DIR": str(model_dir),
                  "SITE_KEYS": [SITE_KEY], "MODERATOR_KEYS": [KEY], "TESTING": True,
                  "RATE_LIMITS": {name: "" for name in DEFAULT_LIMITS}}
        Database(config["DATABASE_URL"]).upgrade()
        app = create_app(config)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {KEY}"}
        for number, item in enumerate(items):
            if channel == "report":
                response = send_report(client, item, dataset.label, number)
            else:
                response = client.post("/v1/feedback", json=feedback_body(item, dataset.label, number),
                                       headers=headers)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"{channel} refused: {response.get_data(as_text=True)}")
        started = time.perf_counter()
        result = train_new_version(app.config, app.extensions["moderation.database"], activate=False)
        model = app.extensions["moderation.model"].store.load(result["version"]).model
        sources = result["sources"]
        trained = sources["reports"] if channel == "report" else sources["moderator"] + sources["moderator_held_out"]
        return {"n": len(items), "roc_auc": roc_auc_on(model, test, dataset.label), "labels_trained": trained,
                "train_seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    """Run the learning curve for each dataset and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="olid,youtube-spam")
    parser.add_argument("--sizes", default="0,50,200,800")
    parser.add_argument("--orders", default="uncertain,random")
    parser.add_argument("--channels", default="moderator,report")
    args = parser.parse_args()
    if not datasets.available():
        print(f"bench-learning: skipped, no datasets at {datasets.DATASETS_DIR}")
        return 0
    loaded = default_model()
    base = settings.from_env()
    sizes = [int(n) for n in args.sizes.split(",")]
    results = {"model_version": loaded.version, "datasets": {}}
    for dataset in datasets.requested(args.datasets):
        pool, test = dataset.pool_and_test()
        start = roc_auc_on(loaded.model, test, dataset.label)
        print(f"{dataset.name} ({dataset.label}): {len(pool)} comments to label, {len(test)} to test; "
              f"default model ROC-AUC {start:.3f}")
        curves, no_labels = {}, None
        for channel in args.channels.split(","):
            for order in args.orders.split(","):
                curve = curves[f"{channel}/{order}"] = []
                for size in sizes:
                    if size == 0 and no_labels is not None:
                        curve.append(no_labels)  # no labels: the same run
                        continue
                    figures = run_once(dataset, choose(pool, dataset.label, size, order, loaded.model), test, base,
                                       channel)
                    no_labels = figures if size == 0 else no_labels
                    curve.append(figures)
                    print(f"  {channel:9} {order:9} N={size:4d}  ROC-AUC {figures['roc_auc']:.3f}  (trained on "
                          f"{figures['labels_trained']} labels, {figures['train_seconds']} s)", flush=True)
        results["datasets"][dataset.name] = {"default_roc_auc": start, "curves": curves}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
