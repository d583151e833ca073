# One command each: `make run` starts the chat app, `make test` runs every test.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PRESET ?= $(or $(EDIT_EVERYTHING_PRESET),auto)

.PHONY: install run test bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -e ".[test]"
	$(PY) -m pip install --no-deps cn-clip==1.6.0
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/streamlit run ui/app.py -- --preset $(PRESET)

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache
