# Two commands matter: `make run` (set up, then serve the app on the bundled demo data and model)
# and `make test` (set up, then run every test). Both work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: setup run serve-team test lint unit bench browser clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# Single user: this computer only, no login.
run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1

# A team on one server: every interface, login required; refuses to start (exit 2) without [auth] in
# .streamlit/secrets.toml. See README, "Team mode".
serve-team: setup
	$(PY) -m tuneboard.team.server --port $(PORT)

# Lint first (ruff: pyflakes, pycodestyle, import order, bugbear; see ruff.toml), then every test.
test: setup browser lint
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

# The browser tests (tests/e2e) drive Debian's Chromium; install it on a fresh machine (CI runs as root).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

unit: setup
	$(PY) -m pytest -q tests/unit

bench: setup
	$(PY) bench/bench_train.py

clean:
	rm -rf $(VENV) .pytest_cache artifacts
