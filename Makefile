# agentwatch: `make demo` and `make test` are all a fresh machine needs.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install demo test lint typecheck unit bench bench-quick clean eval bench-detectors

$(BIN)/.installed: pyproject.toml
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
bench: bench-detectors
	bash benchmarks/overhead/run.sh $(BENCH_ARGS)

bench-quick:
	bash benchmarks/overhead/run.sh --quick --variants bare,agentwatch $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache bench-results
