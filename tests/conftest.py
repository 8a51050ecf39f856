"""Shared fixtures: simulator availability (Icarus is required when BAPS_REQUIRE_ICARUS=1, as in CI)."""

import os

import pytest

from baps_rtl.sim.runner import simulator_available


def require_simulator(sim: str):
    if simulator_available(sim):
        return
    if sim == "icarus" and os.environ.get("BAPS_REQUIRE_ICARUS") == "1":
        pytest.fail("BAPS_REQUIRE_ICARUS=1 but iverilog is not installed (make system-extras)")
    pytest.skip(f"{sim} is not installed")


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
    items[:] = [i for i, k in zip(items, keep) if k]
