# The README's two commands: `make run` and `make test`. Both create .venv on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test lint redis-server-installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Local runs listen on loopback only; a PaaS sets PORT and reaches 0.0.0.0 via HOST.
run: $(VENV)/.installed
	HOST=$${HOST:-127.0.0.1} $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# The tests start their own redis-server on a free loopback port.
redis-server-installed:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; \
	  else \
	    echo "redis-server is not installed; install it (Debian: apt-get install redis-server)" >&2; \
	    exit 1; \
	  fi; }

test: $(VENV)/.installed-test redis-server-installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
