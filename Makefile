# Two commands for everyone: `make run` and `make test`. Each sets itself up.
# `make test-fast` leaves out the slow end-to-end tests (pytest marker `slow`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast static lint format check bench messages clean

# pip shows each package as it goes (the first time takes a minute or two). setuptools'
# notice about editable installs is silenced: it is about a layout this project does not have.
$(STAMP): pyproject.toml
	@echo "==> Setting up $(VENV): Python packages for optout-bot and its tests"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --upgrade --progress-bar on pip
	@PYTHONWARNINGS="ignore:Editable installation" \
		$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	@touch $(STAMP)
	@echo "==> $(VENV) is ready"

run: $(STAMP)  ## serve Telegram when BOT_TOKEN is set, otherwise chat in this terminal
	$(BIN)/python -m bot

test: static  ## lint, validate the FAQ, run every test (what CI runs)
	$(BIN)/python -m pytest

test-fast: static  ## the same without the slow end-to-end tests
	$(BIN)/python -m pytest -q -m "not slow"

static: $(STAMP)  ## ruff and `python -m bot check`
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/python -m bot check

lint format: $(STAMP)
	$(BIN)/ruff format bot tests benchmarks
	$(BIN)/ruff check --fix bot tests benchmarks

check: $(STAMP)
	$(BIN)/python -m bot check

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matcher.py

# Interface strings: bot/i18n/locale/<lang>/LC_MESSAGES/messages.po, read at start-up (no build).
POT := bot/i18n/locale/messages.pot
I18N_LANGUAGES := de fr es it nl pl pt

messages: $(STAMP)  ## extract _() strings from bot/ into the template, merge it into every catalogue
	@mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract -F babel.cfg -o $(POT) --add-location=file --sort-by-file \
		--add-comments=Translators: --project=optout-bot --copyright-holder=optout-bot \
		--keywords=command:3 --no-wrap bot
	for lang in $(I18N_LANGUAGES); do \
		$(BIN)/pybabel update -i $(POT) -d bot/i18n/locale -D messages -l $$lang \
			--init-missing --ignore-pot-creation-date --no-wrap || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
