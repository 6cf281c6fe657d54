"""Latency of the comment path, side by side with a bare Flask endpoint, in one process and one run.

    make bench          # or: .venv/bin/python -m bench.latency --requests 2000

Requests are interleaved (ours, bare, ours, ...) so that machine noise hits both alike; the ratio is the
figure to compare between runs, not the absolute times.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask, request

from bench.accuracy import default_model
from moderation import settings
from moderation.limits import DEFAULT_LIMITS
from moderation.store import Database
from service import create_app

COMMENTS = [
    {"name": "Ann Reader", "email": "ann@gmail.com",
     "comment": "The council should publish the full budget before the vote, not after it."},
    {"name": "Best Cheap Loans", "email": "deals@quickcash.top", "url": "http://quickcash.top",
     "comment": "Great article! Get instant loans with no credit check at quickcash.top"},
    {"name": "Rick", "email": "rick@outlook.com",
     "comment": "What a pathetic take. The referee was blind all night and the league knows it."},
]


def bare_app() -> Flask:
    """The floor: a Flask endpoint that parses the same JSON and answers 201."""
    app = Flask("bare")

    @app.post("/v1/comments")
    def create():
        body = request.get_json()
        return {"id": "x", "decision": "accept", "echo": body["comment"][:10]}, 201

    return app


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def main() -> None:
    """Run the comparison and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    default_model()  # exits, saying to run `make model`, unless the instance has a loadable active model
    model_dir = Path(settings.from_env()["MODEL_DIR"])
    with tempfile.TemporaryDirectory() as tmp:
        Database(f"sqlite:///{tmp}/bench.db").upgrade()
        ours = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "MODEL_DIR": str(model_dir),
                           "SITE_KEYS": ["bench"], "MODERATOR_KEYS": [], "MODEL_CHECK_SECONDS": 60.0,
                           # The probe comments repeat: limits high enough never to refuse, still counted.
                           "RATE_LIMITS": dict.fromkeys(DEFAULT_LIMITS, "100000000/minute")})
        clients = {"service POST /v1/comments": ours.test_client(), "bare Flask endpoint": bare_app().test_client()}
        analyze = ours.test_client()
        headers = {"Authorization": "Bearer bench"}
        timings: dict[str, list[float]] = {name: [] for name in clients}
        timings["service POST /v1/analyze (1 item)"] = []
        for i in range(args.requests + 50):
            body = COMMENTS[i % len(COMMENTS)]
            for name, client in clients.items():
                start = time.perf_counter()
                response = client.post("/v1/comments", json=body, headers=headers)
                elapsed = time.perf_counter() - start
                assert response.status_code == 201, response.get_json()
                if i >= 50:  # the first requests warm caches
                    timings[name].append(elapsed)
            start = time.perf_counter()
            analyze.post("/v1/analyze", json={"items": [body]}, headers=headers)
            if i >= 50:
                timings["service POST /v1/analyze (1 item)"].append(time.perf_counter() - start)

    floor = statistics.median(timings["bare Flask endpoint"])
    print(f"{'endpoint':40} {'median ms':>10} {'p95 ms':>8} {'x bare':>7}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:40} {median * 1000:10.3f} {percentile(values, 95) * 1000:8.3f} {median / floor:7.1f}")


if __name__ == "__main__":
    main()
