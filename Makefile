# AI PM Lab: `make lab` opens the course, `make test` runs every check. Both set up .venv first.
# Tests run two pytest workers with one model thread each, so two cores are never oversubscribed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := notebooks exercises solutions
# The file browser starts at the course root (so exercises/ and solutions/ show); root (containers) needs --allow-root.
LAB_FLAGS := --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup lab test unit notebooks exercises links slides slides-offline strip benchmark browser-check browser-deps hub-deps web-deps site clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "AI PM Lab needs Python 3.11 or newer (fairlearn, used in week 6, does)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@echo "Installing the course (the first time compiles llama.cpp: 5 to 10 minutes on 2 cores)..."
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# the local model's weights in the format the course runs, converted once now rather than in week 1's first cell
	$(BIN)/python -c 'from ai_pm_lab.llm import weights; weights.prepare()'
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/week01_foundations.ipynb

# The real-browser test of every lesson runs in the background beside the notebooks (it mostly waits on its kernel and
# the page); its pytest output goes to build/browser-test.txt and is printed when both are done; either failing fails.
test: setup browser-deps hub-deps web-deps
	$(BIN)/python tools/make_exercises.py --check
	$(BIN)/python tools/strip_outputs.py --check
	$(BIN)/python tools/time_lessons.py --check > /dev/null || $(BIN)/python tools/time_lessons.py --check
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	AI_PM_LAB_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q tests --ignore=tests/test_browser_lab.py
	@mkdir -p build; echo "Real-browser test of every lesson: started beside the notebooks (log: build/browser-test.txt)"
	@AI_PM_LAB_THREADS=1 $(BIN)/python -m pytest -q -rs tests/test_browser_lab.py > build/browser-test.txt 2>&1 & browser=$$!; \
	AI_PM_LAB_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q --nbval-lax --nbval-current-env $(NOTEBOOKS); nb=$$?; \
	echo "Notebooks done (exit $$nb); waiting for the real-browser test..."; wait $$browser; br=$$?; \
	echo "--- real-browser test (screenshots and report.json in build/browser/) ---"; cat build/browser-test.txt; \
	[ $$nb -eq 0 ] && [ $$br -eq 0 ]

unit: setup
	$(BIN)/python -m pytest -q tests

notebooks: setup
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env $(NOTEBOOKS)

exercises: setup
	$(BIN)/python tools/make_exercises.py
	$(BIN)/python tools/launch_links.py

# The "launch on Binder" link atop every notebook and the README badge (repository URL: ai_pm_lab/data/course.toml).
links: setup
	$(BIN)/python tools/launch_links.py

# reveal.js decks of every lesson in build/slides/; slides-offline also fetches reveal.js (npm) so they work offline.
slides: setup
	$(BIN)/python tools/make_slides.py

slides-offline: setup
	$(BIN)/python tools/make_slides.py --vendor-reveal

strip: setup
	$(BIN)/python tools/strip_outputs.py

benchmark: setup
	$(BIN)/python -m benchmarks

# Real-browser check of every lesson on its own (`make test` runs it too, as tests/test_browser_lab.py); screenshots and
# report.json (rewritten after each lesson) in build/browser/. Needs Debian's chromium (browser-deps installs it when run as root on Debian).
browser-check: setup browser-deps
	AI_PM_LAB_THREADS=1 $(BIN)/python tools/browser_check.py

browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/faketime ]; then :; \
	elif [ "$$(id -u)" = 0 ] && [ -r /etc/os-release ] && . /etc/os-release && [ "$$ID" = debian ]; then \
	  echo "Installing Debian's chromium and an emoji font (real-browser test) and faketime (tests/test_clock.py)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji faketime >/dev/null; \
	else \
	  echo "NOTE: /usr/bin/chromium or /usr/bin/faketime is missing, so the real-browser or clock test will be skipped. On Debian:"; \
	  echo "      sudo apt-get update && sudo apt-get install -y chromium fonts-noto-color-emoji faketime"; \
	fi

# The JupyterHub proxy (npm's configurable-http-proxy) for tests/test_room_hub.py, which starts a real hub on loopback.
CHP_VERSION := 5.3.0
hub-deps: setup
	@if [ -x $(VENV)/chp/node_modules/.bin/configurable-http-proxy ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  echo "Installing configurable-http-proxy $(CHP_VERSION) (npm) into $(VENV)/chp for the JupyterHub room test..."; \
	  npm install --silent --no-audit --no-fund --loglevel=error --prefix $(VENV)/chp configurable-http-proxy@$(CHP_VERSION); \
	else \
	  echo "NOTE: npm is missing, so the JupyterHub room test will be skipped. Install Node.js 20+ and npm, then: make hub-deps"; \
	fi

# Front-end files vendored from npm (site/package.json, locked): the website's widget renderer and axe-core for the
# accessibility audit in the real-browser tests.
web-deps:
	@if [ -f site/node_modules/.package-lock.json ] && [ site/node_modules/.package-lock.json -nt site/package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  echo "Installing the website's widget renderer and axe-core (npm ci in site/)..."; \
	  cd site && npm ci --silent --no-audit --no-fund --loglevel=error; \
	else \
	  echo "NOTE: npm is missing, so the website and the accessibility audit cannot run. Install Node.js 20+ and npm, then: make web-deps"; \
	fi

# The course website in build/site/: every lesson executed once on the local model (outputs and widget views kept;
# an unchanged lesson is not executed again), the facilitator pages, search. HUB=https://your-hub adds room links.
# Then every page is opened in Chromium (tools/check_site.py: errors, images, links, saved widget views, axe-core).
site: setup web-deps
	AI_PM_LAB_THREADS=2 $(BIN)/python tools/build_site.py $(if $(HUB),--hub $(HUB))
	@if [ -x /usr/bin/chromium ]; then $(BIN)/python tools/check_site.py build/site; \
	else echo "NOTE: Chromium is missing, so the pages were not checked in a browser: make browser-deps, then $(BIN)/python tools/check_site.py"; fi
	@echo "Open build/site/index.html, or serve it: $(BIN)/python -m http.server -d build/site"

clean:
	rm -rf $(VENV)
