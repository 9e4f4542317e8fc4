# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install run test lint eval bench i18n
install: $(STAMP)

run: $(STAMP)
	$(BIN)/quartier chat

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(STAMP)
	$(BIN)/quartier ask --batch ../shared/eval/dev_queries.jsonl --json > /tmp/answers.jsonl
	python3 ../shared/eval/score.py ../shared/eval/dev_queries.jsonl /tmp/answers.jsonl --show-failures

bench: $(STAMP)
	$(BIN)/python benchmarks/search.py

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k __ -k lazy_gettext --no-location --sort-output \
		--project=quartiersassistent -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching
