# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: run test lint install model bench bench-latency bench-speed bench-accuracy bench-explanations bench-learning \
	bench-http bench-scale bench-replicas clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

model: install
	$(BIN)/moderation init

run: model
	$(BIN)/gunicorn -c gunicorn.conf.py --workers $(WEB_CONCURRENCY) --bind $(HOST):$(PORT) 'service:create_app()'

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

$(BIN)/.bench-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: bench-latency bench-speed bench-accuracy bench-explanations bench-learning bench-http bench-scale \
	bench-replicas

bench-latency: model
	$(BIN)/python -m bench.latency

bench-speed: model $(BIN)/.bench-installed
	$(BIN)/python -m bench.scoring_speed

bench-accuracy: model $(BIN)/.bench-installed
	$(BIN)/python -m bench.accuracy

bench-explanations: model
	$(BIN)/python -m bench.explanation_spans

bench-learning: model
	$(BIN)/python -m bench.learning
	$(BIN)/python -m bench.import_learning

# HTTP load under gunicorn and wrk; options through ARGS, e.g. make bench-http ARGS='--worker-class sync,gthread'
bench-http: model $(BIN)/.bench-installed
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.http_load $(ARGS)

# Training time and peak memory against 10k, 100k and 300k labels; e.g. make bench-scale ARGS='--sizes 10000,100000'
bench-scale: install
	$(BIN)/python -m bench.training_scale $(ARGS)

# POST /v1/comments through nginx with one and with two gunicorn instances behind it, in one run
bench-replicas: model $(BIN)/.bench-installed
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	.ci/install-topology
	$(BIN)/python -m bench.http_load --app-only --replicas 1,2 --workers 1 $(ARGS)
