# One command each: `make run` starts the chat app, `make test` runs every test.
# `make run SERVER=http://127.0.0.1:8000` starts the app against an `edit-everything serve`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PRESET ?= $(or $(EDIT_EVERYTHING_PRESET),auto)

.PHONY: install run test browser bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -e ".[test,serve]"
	$(PY) -m pip install --no-deps cn-clip==1.6.0
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/streamlit run ui/app.py -- --preset $(PRESET) $(if $(SERVER),--server $(SERVER))

test: install browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# The real-browser test drives Debian's chromium (never `playwright install`); a CJK font makes the
# screenshots readable. Installs only what is missing.
BROWSER_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
browser:
	@command -v chromium >/dev/null && [ -f $(BROWSER_FONT) ] || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium chromium-driver fonts-wqy-microhei; }

bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache
