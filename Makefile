# agentwatch: `make demo` and `make test` are all a fresh machine needs.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install demo test lint typecheck unit bench bench-quick bench-cost bench-proxy bench-detectors eval eval-anomaly clean

$(BIN)/.installed: pyproject.toml setup.py $(wildcard csrc/*/*.c csrc/*/*.h)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,eval]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/agentwatch demo

lint: install
	$(BIN)/ruff check src tests benchmarks evals
	$(BIN)/ruff format --check src tests benchmarks evals

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint typecheck unit

# Detectors against labelled data, beside Presidio in the same run (evals/README.md).
eval: install
	$(BIN)/python -m evals.run $(EVAL_ARGS)

# Detector throughput beside Presidio's regex-only analyzer (the last table of `make eval`).
bench-detectors: install
	$(BIN)/python -m evals.run --only evals.speed

# Per-call overhead beside the bare SDKs and peer libraries, in the shared harness's own venv.
bench: bench-cost bench-proxy bench-detectors
	bash benchmarks/overhead/run.sh $(BENCH_ARGS)

# Anomaly detection: NAB score, synthetic precision/recall, worker cost (benchmarks/anomaly/README.md).
NAB_DATA ?= $(firstword $(wildcard ../shared/datasets/nab ../../shared/datasets/nab) ../shared/datasets/nab)
eval-anomaly: install
	$(BIN)/python -m benchmarks.anomaly.nab --data $(NAB_DATA)
	$(BIN)/python -m benchmarks.anomaly.synthetic
	$(BIN)/python -m benchmarks.anomaly.worker_cost

# The cost stage per event: warm price cache vs uncached lookups, same run.
bench-cost: install
	$(BIN)/python benchmarks/cost/bench_cost.py $(BENCH_COST_ARGS)

# agentwatch serve: proxy added latency beside direct calls, OTLP spans stored per second.
bench-proxy: install
	$(BIN)/python benchmarks/proxy/bench.py $(BENCH_PROXY_ARGS)

bench-quick:
	bash benchmarks/overhead/run.sh --quick --variants bare,agentwatch $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache bench-results
