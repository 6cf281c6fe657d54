"""In-process scoring speed per comment, explanations included, next to alt-profanity-check in one run.

    make bench-speed     # or: .venv/bin/python -m bench.scoring_speed --comments 2000

Comments come from the real datasets when ../shared/datasets is present, otherwise from training_data/.
Each comment is scored alone (one call per comment, as a request does), alternating between the two models
so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench import datasets
from bench.accuracy import default_model
from model import load_training_data
from moderation import settings


def sample_comments(count: int) -> list[dict[str, str]]:
    """Comment fields to score: real ones if available."""
    if datasets.available():
        pool = [item.fields() for d in datasets.load_all() for item in d.everything()]
    else:
        pool = [e.fields() for e in load_training_data(settings.from_env()["TRAINING_DATA_DIR"])]
    return random.Random(0).sample(pool, min(count, len(pool)))


def main() -> None:
    """Time both models and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=2000)
    args = parser.parse_args()
    model = default_model().model
    comments = sample_comments(args.comments)
    try:
        from profanity_check import predict_prob
    except ImportError:
        predict_prob = None
        print("alt-profanity-check is not installed (pip install '.[bench]'): timing our model alone")
    for fields in comments[:50]:  # warm-up
        model.score(fields)
        if predict_prob:
            predict_prob([fields["comment"]])
    ours, theirs = [], []
    for fields in comments:
        start = time.perf_counter()
        dict(model.score(fields, explain=True).explanations)  # read: they are worked out when first read
        ours.append(time.perf_counter() - start)
        if predict_prob:
            start = time.perf_counter()
            predict_prob([fields["comment"]])
            theirs.append(time.perf_counter() - start)
    print(f"{len(comments)} comments, one call each")
    print(f"our model (spam + toxicity + categories + explanations): median {statistics.median(ours) * 1e3:.3f} ms, "
          f"p95 {sorted(ours)[int(len(ours) * 0.95)] * 1e3:.3f} ms")
    if theirs:
        print(f"alt-profanity-check (one score, no explanation):           median "
              f"{statistics.median(theirs) * 1e3:.3f} ms, p95 {sorted(theirs)[int(len(theirs) * 0.95)] * 1e3:.3f} ms")
        print(f"ratio ours / alt-profanity-check (medians): {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
