"""Training time and peak memory against the number of stored labels (make bench-scale).

Each size trains in a fresh process, the way a worker's training job does (moderation/jobs.py), on what
`moderation.retraining.gather` would hand it: the trainable part of training_data/ plus N labels weighted like
moderators' labels. The labels are a synthetic expansion of the corpus (each a corpus comment with a share of
its words replaced by other corpus words, keeping its labels), so the vocabulary grows with N as real
comments' does; nothing is read from ../shared/datasets. Wall time, CPU time and the process's peak resident
memory are reported, with the issue's target for 100k labels: at most 5 minutes and 2 GB.

    python -m bench.training_scale                       # 10k, 100k and 300k labels
    python -m bench.training_scale --sizes 10000,50000   # other sizes
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET = {"labels": 100_000, "seconds": 300.0, "megabytes": 2048.0}


def synthetic_labels(corpus, count: int, seed: int, weight: float):
    """count labelled examples made from the corpus: each a corpus comment with about a fifth of its words
    swapped for random corpus words, so that no two are alike and the vocabulary keeps growing."""
    from model.corpus import Example

    rng = random.Random(seed)
    vocabulary = sorted({word for e in corpus for word in e.comment.split()})
    labels = []
    for i in range(count):
        base = corpus[rng.randrange(len(corpus))]
        words = [rng.choice(vocabulary) if rng.random() < 0.2 else word for word in base.comment.split()]
        labels.append(Example(comment=" ".join(words) or base.comment, name=base.name,
                              email=f"reader{i}@example.org", url=base.url, spam=base.spam, toxic=base.toxic,
                              category=base.category, weight=weight, source="labels/review"))
    return labels


def train_once(size: int, seed: int, search_rows: int | None) -> dict:
    """Body of one measured process: build the training set, fit, and report time and memory."""
    import model.classifier
    from model import load_training_data, train_model

    if search_rows is not None:
        model.classifier.SEARCH_ROWS = search_rows
    from moderation.retraining import FROZEN_SHARE, is_evaluation_text
    from moderation.settings import defaults

    started = time.perf_counter()
    settings = defaults(ROOT / "instance")
    corpus = load_training_data(Path(settings["TRAINING_DATA_DIR"]))
    trainable = [e for e in corpus if not is_evaluation_text(e.comment, FROZEN_SHARE)]
    labels = [e for e in synthetic_labels(trainable, size, seed, settings["LABEL_WEIGHT"])
              if not is_evaluation_text(e.comment)]
    prepared = time.perf_counter()
    result = train_model(trainable + [replace(e) for e in labels])
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"labels": size, "labels_trained": len(labels), "corpus": len(trainable),
            "examples_fitted": result.data["examples"] + result.data["augmented_variants"],
            "seconds": round(finished - started, 1), "fit_seconds": round(finished - prepared, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_megabytes": round(usage.ru_maxrss / 1024, 0),
            "roc_auc": {label: m.get("roc_auc") for label, m in result.metrics["out_of_fold"].items()},
            "regularization_c": result.metrics["regularization_c"],
            "search_rows": model.classifier.SEARCH_ROWS}


def measure(size: int, seed: int, timeout: float, search_rows: int | None) -> dict:
    """Train with size labels in a child process and return what it reported (or why it did not finish)."""
    command = [sys.executable, "-m", "bench.training_scale", "--child", str(size), "--seed", str(seed)]
    if search_rows is not None:
        command += ["--search-rows", str(search_rows)]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"labels": size, "error": f"did not finish in {timeout:.0f} s"}
    if done.returncode != 0:
        return {"labels": size, "error": f"exit {done.returncode}: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    print(f"{'labels':>8} {'fitted':>8} {'wall s':>8} {'fit s':>8} {'CPU s':>8} {'peak MB':>8}  "
          "ROC-AUC spam/toxicity, C spam/toxicity")
    for row in rows:
        if "error" in row:
            print(f"{row['labels']:>8}  {row['error']}")
            continue
        auc = row["roc_auc"]
        print(f"{row['labels']:>8} {row['examples_fitted']:>8} {row['seconds']:>8} {row['fit_seconds']:>8} "
              f"{row['cpu_seconds']:>8} {row['peak_megabytes']:>8.0f}  {auc['spam']}/{auc['toxicity']}, "
              f"{row['regularization_c'].get('spam')}/{row['regularization_c'].get('toxicity')}")
    target = next((r for r in rows if r["labels"] == TARGET["labels"] and "error" not in r), None)
    if target:
        verdict = ("meets" if target["seconds"] <= TARGET["seconds"] and target["peak_megabytes"] <= TARGET["megabytes"]
                   else "misses")
        print(f"\n{TARGET['labels']} labels: {target['seconds']} s and {target['peak_megabytes']:.0f} MB peak "
              f"{verdict} the target of {TARGET['seconds']:.0f} s and {TARGET['megabytes']:.0f} MB.")


def main(argv: list[str] | None = None) -> int:
    """Measure each size in turn, print the table, and keep the raw figures in bench/results/."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,300000", help="comma-separated label counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per size (default 3600)")
    parser.add_argument("--search-rows", type=int,
                        help="choose C on at most this many rows (default: model.classifier.SEARCH_ROWS); a number "
                             "above the training set's size chooses it on every row, as below the threshold")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(train_once(args.child, args.seed, args.search_rows)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"training with {size} labels ...", file=sys.stderr, flush=True)
        rows.append(measure(size, args.seed, args.timeout, args.search_rows))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"training_scale-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(rows, indent=2))
    print(f"raw figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
