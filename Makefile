# Two commands for everyone: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format check bench messages clean

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
