# A newcomer's two commands: `make report` (main job) and `make test` (the regression suite).
# Both create the virtual environment on first use. `make system-extras` (as root) installs the
# optional simulators and tools from Debian: Icarus Verilog.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: all venv report test system-extras clean

all: report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/baps-rtl report -o build/report

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS)

system-extras:
	@if [ "$$(id -u)" != 0 ]; then echo "system-extras: run as root (apt-get)"; exit 1; fi
	command -v iverilog >/dev/null || { apt-get update -q && apt-get install -y -q iverilog; }

clean:
	rm -rf build .pytest_cache
