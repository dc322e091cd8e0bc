# Two commands for everyone: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)  ## serve Telegram when BOT_TOKEN is set, otherwise chat in this terminal
	$(BIN)/python -m bot

test: $(STAMP)  ## lint, validate the FAQ, run every test
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/python -m bot check
	$(BIN)/python -m pytest -q

lint format: $(STAMP)
	$(BIN)/ruff format bot tests benchmarks
	$(BIN)/ruff check --fix bot tests benchmarks

check: $(STAMP)
	$(BIN)/python -m bot check

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matcher.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
