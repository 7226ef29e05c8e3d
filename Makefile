# AI PM Lab: `make lab` opens the course, `make test` runs every check. Both set up .venv first.
# Tests run two pytest workers with one model thread each, so two cores are never oversubscribed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := notebooks exercises solutions
# The file browser starts at the course root (so exercises/ and solutions/ show); root (containers) needs --allow-root.
LAB_FLAGS := --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup lab test unit notebooks exercises strip benchmark browser-check clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "AI PM Lab needs Python 3.10 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@echo "Installing the course (the first time compiles llama.cpp: about 5 minutes)..."
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/week01_foundations.ipynb

test: setup
	$(BIN)/python tools/make_exercises.py --check
	$(BIN)/python tools/strip_outputs.py --check
	AI_PM_LAB_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q tests
	AI_PM_LAB_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q --nbval-lax --nbval-current-env $(NOTEBOOKS)

unit: setup
	$(BIN)/python -m pytest -q tests

notebooks: setup
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env $(NOTEBOOKS)

exercises: setup
	$(BIN)/python tools/make_exercises.py

strip: setup
	$(BIN)/python tools/strip_outputs.py

benchmark: setup
	$(BIN)/python -m benchmarks

# Real-browser check of `make lab` (not part of `make test`): needs playwright in .venv and /usr/bin/chromium.
browser-check: setup
	$(BIN)/python tools/browser_check.py

clean:
	rm -rf $(VENV)
