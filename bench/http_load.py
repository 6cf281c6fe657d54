"""Throughput of POST /v1/comments over HTTP: the service next to a bare ceiling and an in-process peer, in one run.

    make bench-http                                          # 15 s each after 5 s of warm-up, 16 connections
    make bench-http ARGS='--worker-class sync,gthread --threads 4 --rounds 3'
    make bench-replicas                                      # the app as 1 and as 2 gunicorn instances behind nginx
    .venv/bin/python -m bench.http_load --app-only --app-dir ../release-1.0 --app-dir .

Every endpoint is served the same way, by gunicorn with the same worker settings on a free port of its own, and
loaded by wrk with bench/http_comments.lua (a new commenter, IP and text on every request), one endpoint after
the other:

- ceiling: bench.http_apps:ceiling_app(), which authenticates, parses and validates the fields and answers 201;
- peer: bench.http_apps:peer_app(), the same plus alt-profanity-check's predict_prob on the comment;
- app: the factory (`service:create_app()`) of each --app-dir checkout, run with that checkout's .venv, on a
  fresh instance in a temporary directory (SQLite database, bench keys) and the checkout's instance/models;
  with --replicas, as that many gunicorn instances (sharing the instance) behind an nginx of its own that uses
  deploy/nginx/proxy.conf, the deployment's proxy settings.

The machine is shared, so absolute figures move between runs; the ratios of one run (app ÷ ceiling, app ÷ peer)
and the server CPU per request are the figures to compare. Raw results go to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import pwd
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "http_comments.lua"
RESULTS = Path(__file__).resolve().parent / "results"
WORKER_CLASSES = ("sync", "gthread")
PROBE = {"name": "Ann Reader", "email": "ann.probe@example.org", "ip": "192.0.2.1",
         "comment": "The council should publish the full budget before the vote, not after it."}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    """One endpoint to load: how to prepare and start it."""

    kind: str  # ceiling, peer or app
    label: str
    directory: Path  # the checkout whose .venv and code serve it
    wsgi: str
    env: dict[str, str]

    @property
    def python(self) -> str:
        """The interpreter of the checkout's virtual environment (this one for the reference endpoints)."""
        return sys.executable if self.kind != "app" else str(self.directory / ".venv" / "bin" / "python")


@dataclass(frozen=True)
class Setup:
    """How gunicorn serves every endpoint of one pass: worker class, processes and threads."""

    worker_class: str
    workers: int
    threads: int = 1
    # App instances (gunicorn masters, each with `workers` workers) behind one nginx; 0: gunicorn alone.
    replicas: int = 0

    @property
    def options(self) -> list[str]:
        """gunicorn's command-line options."""
        options = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        # Only for gthread: with sync, --threads > 1 would silently switch gunicorn to gthread.
        return [*options, "--threads", str(self.threads)] if self.worker_class == "gthread" else options

    @property
    def name(self) -> str:
        """Short, for tables: 'sync 2w' or 'gthread 2w×4t'."""
        name = f"{self.worker_class} {self.workers}w" + (f"×{self.threads}t" if self.worker_class == "gthread" else "")
        return name + (f" {self.replicas}r+nginx" if self.replicas else "")


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str | None:
    """Debian's nginx, if installed (it lives in /usr/sbin, which may not be on PATH)."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def nginx_config(prefix: Path, port: int, upstreams: list[int]) -> Path:
    """An nginx configuration of our own in prefix (pid, logs and temp files there, not the system's) that
    listens on 127.0.0.1:port and spreads requests over the upstream ports with the deployment's proxy
    settings (deploy/nginx/proxy.conf). Returns its path."""
    prefix.mkdir(parents=True, exist_ok=True)
    # Worker processes of a root master would switch to "nobody", who may not enter private temp folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    servers = " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstreams)
    temp = " ".join(f"{kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                      "scgi"))
    path = prefix / "nginx.conf"
    path.write_text(f"""{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_max_body_size 1m;
    {temp}
    upstream moderation {{ {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://moderation; include {ROOT}/deploy/nginx/proxy.conf; }}
    }}
}}
""")
    return path


def nginx_command(binary: str, config: Path) -> list[str]:
    """The command that runs nginx in the foreground with config (errors logged next to it from the start)."""
    return [binary, "-p", str(config.parent), "-e", str(config.parent / "error.log"), "-c", str(config)]


def git_describe(directory: Path) -> str:
    """The checkout's commit, with '+dirty' when its tracked files have changes."""
    try:
        commit = subprocess.run(["git", "-C", str(directory), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def base_env() -> dict[str, str]:
    """This environment without any setting of the service, so that nothing leaks into an endpoint."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("MODERATION_") and k not in ("DATABASE_URL", "WEB_CONCURRENCY", "FLASK_APP")}


def prepare_instance(target: Target, env: dict[str, str], timeout: float) -> list[str]:
    """Create the app's database schema the way its own release wants it, before gunicorn starts.

    Today `moderation init` creates it (and the app would at start too); newer releases have `moderation db
    upgrade` for migrations, older ones may have no command at all. Whichever of `db upgrade` and `init` the
    checkout's CLI offers is run, in that order, with the endpoint's environment (temporary instance, bench keys);
    a failure stops the benchmark."""
    cli = target.directory / ".venv" / "bin" / "moderation"
    if not cli.exists():
        return ["no moderation command: schema left to the app's start-up"]
    usage = subprocess.run([str(cli), "--help"], capture_output=True, text=True, env=env,
                           cwd=target.directory, timeout=60)
    offered = {name.strip() for group in re.findall(r"\{([^}]*)\}", usage.stdout) for name in group.split(",")}
    commands = [command for command in (["db", "upgrade"], ["init"]) if command[0] in offered]
    if not commands:
        return ["moderation has neither db nor init: schema left to the app's start-up"]
    notes = []
    for command in commands:
        name = f"moderation {' '.join(command)}"
        try:
            done = subprocess.run([str(cli), *command], capture_output=True, text=True, env=env,
                                  cwd=target.directory, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"`{name}` took over {timeout:.0f} s for {target.label}") from None
        if done.returncode != 0:
            raise BenchError(f"`{name}` failed for {target.label} (exit {done.returncode}):\n"
                             f"{done.stdout}{done.stderr}")
        notes.append(f"prepared with `{name}`")
        if "training" in done.stdout:  # init trains when the store has no model that loads; say so, it took time
            notes.append(done.stdout.strip().splitlines()[-1])
    return notes


# One key sends every request, faster than any one site would: its limit is raised so the run measures the
# cost of counting, not 429s. Every commenter is new, so the address and email limits stay as they are.
BENCH_LIMITS = {"MODERATION_RATE_LIMIT_KEY": "100000000/minute"}


def make_targets(args: argparse.Namespace, site_key: str, moderator_key: str) -> list[Target]:
    """The endpoints of this run, in the order they are loaded."""
    env = {**base_env(), "MODERATION_SITE_KEYS": site_key}
    targets = []
    if not args.app_only:
        targets.append(Target("ceiling", "ceiling (bare Flask)", ROOT, "bench.http_apps:ceiling_app()", env))
        if importlib.util.find_spec("profanity_check") is None:
            print("alt-profanity-check is not installed (pip install -e '.[bench]'): no peer endpoint")
        else:
            targets.append(Target("peer", "peer (alt-profanity-check)", ROOT, "bench.http_apps:peer_app()", env))
    for directory in args.app_dir:
        directory = directory.resolve()
        if not (directory / ".venv" / "bin" / "python").exists():
            raise BenchError(f"{directory} has no .venv: run `make install` (or `make model`) there first")
        models = directory / "instance" / "models"
        if not models.is_dir() or not any(models.iterdir()):
            raise BenchError(f"{models} holds no model: run `make model` in {directory} first")
        label = f"app {directory.name}@{git_describe(directory)}"
        env = {**base_env(), "MODERATION_SITE_KEYS": site_key, "MODERATION_MODERATOR_KEYS": moderator_key,
               "MODERATION_MODEL_DIR": str(models), **BENCH_LIMITS}
        secret = directory / "instance" / "secret.key"
        if secret.is_file():  # the model store's manifests are signed with the checkout's instance secret
            env["MODERATION_SECRET_KEY"] = secret.read_text().strip()
        targets.append(Target("app", label, directory, args.app, env))
    return targets


def gunicorn_command(target: Target, port: int, setup: Setup) -> list[str]:
    """The gunicorn command line: the same settings for every endpoint."""
    return [target.python, "-m", "gunicorn", "--chdir", str(target.directory), "--bind", f"127.0.0.1:{port}",
            *setup.options, "--graceful-timeout", "5", target.wsgi]


def post_probe(port: int, key: str, timeout: float) -> tuple[int, str]:
    """POST one valid comment; the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/v1/comments", body=json.dumps(PROBE).encode(),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def wait_ready(process: subprocess.Popen, port: int, key: str, log: Path, timeout: float) -> str:
    """Wait until the endpoint answers the probe comment with 201; its answer."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            status, body = post_probe(port, key, timeout=max(1.0, deadline - time.monotonic()))
        except OSError as error:  # not listening yet, or a worker still loading
            last = str(error)
            time.sleep(0.2)
            continue
        if status == 201:
            return body
        if status in (502, 503):  # not ready yet (model or database; behind nginx: no replica up yet)
            last = f"503 {body[:200]}"
            time.sleep(0.5)
            continue
        raise BenchError(f"the probe comment got {status}, not 201: {body[:500]}\n{tail(log)}")
    raise BenchError(f"no 201 within {timeout:.0f} s ({last}):\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def process_tree_cpu(root_pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by a process and each of its descendants, by pid (gunicorn's
    master and workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return {pid: times[pid] for pid in tree if pid in times}


def resident_mb(pid: int) -> float:
    """A process's resident memory in MiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url: str, seconds: float, key: str, args: argparse.Namespace, run: int) -> dict:
    """Load the endpoint for `seconds` and return the script's JSON summary; `run` (0-15) keeps each run's
    commenters apart from the other runs' against the same database."""
    command = ["wrk", f"-t{min(args.wrk_threads, args.connections)}", f"-c{args.connections}", f"-d{seconds:g}s",
               f"--timeout={args.timeout:g}s", "-s", str(LUA_SCRIPT), url, "--", key, str(args.seed),
               str(run), "close" if args.close else "keep-alive"]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise BenchError(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn gracefully (its whole process group, which this script started), then for sure."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def measure(target: Target, setup: Setup, args: argparse.Namespace, key: str) -> dict:
    """Start the endpoint, warm it up, load it for args.seconds, stop it; the raw and derived figures."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = gunicorn_command(target, port, setup)
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        env, notes = target.env, []
        if target.kind == "app":  # a fresh instance for every run: empty database, no history
            env = {**env, "MODERATION_INSTANCE_PATH": tmp, "DATABASE_URL": f"sqlite:///{tmp}/moderation.db"}
            notes = prepare_instance(target, env, args.init_timeout)
        log = Path(tmp) / "gunicorn.log"
        if target.kind != "app" or not setup.replicas:
            with log.open("w") as log_file:
                process = subprocess.Popen(command, cwd=target.directory, env=env, stdout=log_file,
                                           stderr=subprocess.STDOUT, start_new_session=True)
            return _load(target, [process], url, key, log, command, notes, setup, args)
        # Replicas: gunicorn instances on ports of their own, sharing the instance's database, behind nginx.
        processes = []
        with log.open("w") as log_file:
            ports = [free_port() for _ in range(setup.replicas)]
            for replica in ports:
                processes.append(subprocess.Popen(gunicorn_command(target, replica, setup), cwd=target.directory,
                                                  env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                                  start_new_session=True))
            config = nginx_config(Path(tmp) / "nginx", port, ports)
            processes.append(subprocess.Popen(nginx_command(args.nginx, config), stdout=log_file,
                                              stderr=subprocess.STDOUT, start_new_session=True))
        notes.append(f"{setup.replicas} gunicorn instance(s) on ports {ports} behind nginx on {port}")
        try:
            # Every replica has loaded its model before nginx is asked, so that none starts the run cold.
            for replica, process in zip(ports, processes, strict=False):
                wait_ready(process, replica, key, log, timeout=args.start_timeout)
        except BenchError as error:
            for each in processes:
                stop(each)
            raise BenchError(f"{target.label} ({setup.name}): {error}") from None
        return _load(target, processes, url, key, log, command, notes, setup, args)


def _load(target: Target, processes: list[subprocess.Popen], url: str, key: str, log: Path, command: list[str],
          notes: list[str], setup: Setup, args: argparse.Namespace) -> dict:
    process = processes[0]

    def tree_cpu() -> dict[int, float]:
        return {pid: cpu for root in processes for pid, cpu in process_tree_cpu(root.pid).items()}

    try:
        probe = wait_ready(process, int(url.rsplit(":", 1)[1]), key, log, timeout=args.start_timeout)
        if args.warmup > 0:
            run_wrk(url, args.warmup, key, args, run=0)
        server_before, (busy_before, total_before) = tree_cpu(), machine_cpu()
        wrk_before = children_cpu()
        result = run_wrk(url, args.seconds, key, args, run=1)
        server_after, (busy_after, total_after) = tree_cpu(), machine_cpu()
        rss_mb = sum(resident_mb(pid) for pid in server_after)
        wrk_after = children_cpu()
        if any(p.poll() is not None for p in processes):
            raise BenchError(f"gunicorn or nginx died during the run:\n{tail(log)}")
    except BenchError as error:
        raise BenchError(f"{target.label} ({setup.name}): {error}") from None
    finally:
        for each in processes:
            stop(each)
    server_log = tail(log, 20)
    seconds = result["duration_us"] / 1e6
    ok = sum(count for status, count in result["statuses"].items() if status.startswith("2"))
    socket_errors = sum(result["socket_errors"].values())
    machine_seconds = total_after - total_before
    by_process = {pid: cpu - server_before.get(pid, 0.0) for pid, cpu in server_after.items()}
    server_cpu, wrk_cpu, busy = sum(by_process.values()), wrk_after - wrk_before, busy_after - busy_before
    workers = sorted((cpu for pid, cpu in by_process.items() if pid not in {p.pid for p in processes}),
                     reverse=True)
    return {
        "endpoint": target.kind, "label": target.label, "directory": str(target.directory),
        "commit": git_describe(target.directory), "wsgi": target.wsgi, "notes": notes,
        "setup": setup.name, "gunicorn": {"command": command[1:], "options": " ".join(setup.options),
                                          "worker_class": setup.worker_class, "workers": setup.workers,
                                          "threads": setup.threads},
        "probe_answer": probe[:1000], "wrk": result, "server_rss_mb": rss_mb,
        "requests_per_s": result["requests"] / seconds,
        "p50_ms": result["latency_us"]["p50"] / 1000, "p99_ms": result["latency_us"]["p99"] / 1000,
        "ok": ok, "errors": result["requests"] - ok + socket_errors,
        "cpu": {"server_s": server_cpu, "wrk_s": wrk_cpu, "machine_busy_s": busy,
                "others_s": max(0.0, busy - server_cpu - wrk_cpu), "machine_capacity_s": machine_seconds,
                "server_ms_per_request": 1000 * server_cpu / max(1, result["requests"]),
                "workers_s": workers, "busiest_worker_share": workers[0] / server_cpu if server_cpu else 0.0},
        "server_log_tail": server_log.splitlines(),
    }


HEADER = (f"{'endpoint':34} {'setup':>13} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'CPU ms/req':>10} {'busy':>5} {'others':>6} {'top wkr':>7} {'RSS MB':>6}")
LEGEND = ("CPU ms/req: gunicorn's CPU time (master and workers) per request, the figure least moved by other load; "
          "busy: the machine's CPU use during the run; others: the part of it neither gunicorn nor wrk used "
          "(other people's load); top wkr: the busiest worker's share of gunicorn's CPU; RSS MB: gunicorn's resident "
          "memory, master and workers, after the run.")


def print_run(run: dict) -> None:
    """One finished endpoint, as a table row."""
    cpu = run["cpu"]
    capacity = max(cpu["machine_capacity_s"], 1e-9)
    print(f"{run['label'][:34]:34} {run['setup']:>13} {run['requests_per_s']:8.1f} {run['p50_ms']:7.1f} "
          f"{run['p99_ms']:7.1f} {run['errors']:6d} {cpu['server_ms_per_request']:10.2f} "
          f"{100 * cpu['machine_busy_s'] / capacity:4.0f}% {100 * cpu['others_s'] / capacity:5.0f}% "
          f"{100 * cpu['busiest_worker_share']:6.0f}% {run['server_rss_mb']:6.0f}", flush=True)
    for first_error in run["wrk"]["first_errors"][:2]:
        print(f"    first error: {first_error[:200]}")


def median(values: list[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarise(runs: list[dict]) -> list[dict]:
    """One row per endpoint and setup: the median over rounds of req/s, p50, p99 and CPU per request."""
    rows: dict[tuple[str, str], dict] = {}
    for run in runs:
        row = rows.setdefault((run["label"], run["setup"]), {"label": run["label"], "endpoint": run["endpoint"],
                                                              "setup": run["setup"], "rounds": []})
        row["rounds"].append(run)
    for row in rows.values():
        rounds = row.pop("rounds")
        row.update(rounds=len(rounds), errors=sum(r["errors"] for r in rounds),
                   decisions={k: sum(r["wrk"]["decisions"].get(k, 0) for r in rounds)
                              for k in sorted({k for r in rounds for k in r["wrk"]["decisions"]})},
                   **{key: median([r[key] for r in rounds]) for key in ("requests_per_s", "p50_ms", "p99_ms")},
                   cpu_ms_per_request=median([r["cpu"]["server_ms_per_request"] for r in rounds]))
    summary = list(rows.values())
    for row in summary:
        if row["endpoint"] == "app":
            for other in summary:
                if other["setup"] == row["setup"] and other["endpoint"] in ("ceiling", "peer"):
                    row[f"app_over_{other['endpoint']}"] = row["requests_per_s"] / other["requests_per_s"]
    return summary


def print_summary(summary: list[dict], rounds: int) -> None:
    """The medians (when there were several rounds), the ratios and, with several setups, the apps side by side."""
    if rounds > 1:
        print(f"\nmedians of {rounds} rounds")
        print(HEADER[:HEADER.index(" busy")].rstrip())
        for row in summary:
            print(f"{row['label'][:34]:34} {row['setup']:>13} {row['requests_per_s']:8.1f} {row['p50_ms']:7.1f} "
                  f"{row['p99_ms']:7.1f} {row['errors']:6d} {row['cpu_ms_per_request']:10.2f}")
    apps = [row for row in summary if row["endpoint"] == "app"]
    if apps:
        print()
    for row in apps:
        parts = [f"÷ {ref} {row[f'app_over_{ref}']:.3f}" for ref in ("ceiling", "peer") if f"app_over_{ref}" in row]
        decisions = ", ".join(f"{k} {v}" for k, v in row["decisions"].items())
        print(f"{row['label']} [{row['setup']}] req/s {' '.join(parts)}  (decisions: {decisions})")
    setups = list(dict.fromkeys(row["setup"] for row in summary))
    for label in dict.fromkeys(row["label"] for row in apps if len(setups) > 1):
        first = next(row for row in apps if row["label"] == label)
        print(f"{label} req/s relative to [{first['setup']}]: " + ", ".join(
            f"{row['setup']} {row['requests_per_s'] / first['requests_per_s']:.3f}" for row in apps
            if row["label"] == label))
    labels = list(dict.fromkeys(row["label"] for row in apps))
    if len(labels) > 1:
        for setup in setups:
            first = next(row for row in apps if row["setup"] == setup)
            print(f"[{setup}] req/s relative to {first['label']}: " + ", ".join(
                f"{row['label']} {row['requests_per_s'] / first['requests_per_s']:.3f}" for row in apps
                if row["setup"] == setup))


def numbers(text: str) -> list[int]:
    """A comma-separated list of positive whole numbers."""
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of positive whole numbers")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="measured load per endpoint (default 15)")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured load first (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent wrk connections (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=float, default=5, help="wrk's per-request timeout in seconds (default 5)")
    parser.add_argument("--worker-class", default="sync",
                        help="gunicorn worker class, sync or gthread; a comma-separated list runs every endpoint "
                             "under each (default sync)")
    parser.add_argument("--workers", type=numbers, default=[int(os.environ.get("WEB_CONCURRENCY") or 2)],
                        help="gunicorn worker processes, or a comma-separated list (default WEB_CONCURRENCY or 2)")
    parser.add_argument("--threads", type=numbers, default=[4],
                        help="threads per gthread worker, or a comma-separated list (default 4)")
    parser.add_argument("--replicas", type=numbers,
                        help="serve the app as this many gunicorn instances behind nginx (Debian's), or a "
                             "comma-separated list, e.g. 1,2: scaling out, measured in the same run (default: one "
                             "gunicorn, no proxy)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the whole sequence; the summary shows medians (default 1)")
    parser.add_argument("--app-only", action="store_true", help="skip the ceiling and the peer")
    parser.add_argument("--app-dir", type=Path, action="append",
                        help="a checkout (with .venv and instance/models) whose app to load; repeat it to compare "
                             "releases side by side (default: this checkout)")
    parser.add_argument("--app", default="service:create_app()", help="the WSGI app or factory in those checkouts")
    parser.add_argument("--close", action="store_true",
                        help="send Connection: close, a new connection per request (as a proxy without upstream "
                             "keep-alive does); sync workers close after every request anyway")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated comments")
    parser.add_argument("--start-timeout", type=float, default=120, help="seconds for an endpoint to answer")
    parser.add_argument("--init-timeout", type=float, default=900,
                        help="seconds for `moderation init` (it trains when no model loads)")
    args = parser.parse_args(argv)
    args.app_dir = args.app_dir or [ROOT]
    classes = [name.strip() for name in args.worker_class.split(",") if name.strip()]
    if not classes or set(classes) - set(WORKER_CLASSES):
        parser.error(f"--worker-class takes {', '.join(WORKER_CLASSES)} (got {args.worker_class!r})")
    if min(args.seconds, args.connections, args.wrk_threads, args.rounds) <= 0 or args.warmup < 0:
        parser.error("--seconds, --connections, --wrk-threads and --rounds must be positive")
    if args.wrk_threads > 16:
        parser.error("--wrk-threads is at most 16 (the script numbers its commenters per thread)")
    args.setups = [Setup(worker_class, workers, threads, replicas) for worker_class in classes
                   for workers in args.workers for threads in (args.threads if worker_class == "gthread" else [1])
                   for replicas in (args.replicas or [0])]
    args.nginx = nginx_binary()
    if args.replicas and args.nginx is None:
        parser.error("--replicas needs nginx: apt-get install nginx (or run .ci/install-topology)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every endpoint under every setup, print the table and the ratios, save the raw results."""
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: `make bench-http` installs it (apt-get install wrk)", file=sys.stderr)
        return 2
    site_key, moderator_key = f"bench-site-{secrets.token_hex(8)}", f"bench-moderator-{secrets.token_hex(8)}"
    started = datetime.now(UTC)
    runs: list[dict] = []
    try:
        targets = make_targets(args, site_key, moderator_key)
        print(f"wrk: {args.connections} {'new ' if args.close else 'kept-alive '}connections, {args.wrk_threads} "
              f"threads, {args.seconds:g} s measured after {args.warmup:g} s warm-up, per endpoint, one after the "
              f"other; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        for setup in args.setups:
            print(f"gunicorn [{setup.name}]: {' '.join(setup.options)}")
        print(f"\n{HEADER}")
        for _ in range(args.rounds):
            for setup in args.setups:
                for target in targets:
                    runs.append(measure(target, setup, args, site_key))
                    print_run(runs[-1])
    except BenchError as error:
        print(f"bench-http: {error}", file=sys.stderr)
        return 1
    summary = summarise(runs)
    print_summary(summary, args.rounds)
    print(f"\n{LEGEND}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"http-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    options = {key: value for key, value in vars(args).items() if key not in ("app_dir", "setups")}
    options |= {"app_dir": [str(p) for p in args.app_dir], "setups": [setup.name for setup in args.setups]}
    path.write_text(json.dumps({"started_at": started.isoformat(), "cores": os.cpu_count(),
                                "python": sys.version.split()[0], "options": options, "summary": summary,
                                "runs": runs}, indent=2))
    print(f"raw results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
