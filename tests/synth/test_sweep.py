"""``baps-rtl sweep`` and the Dask executor: the grid's checks, the cache (a repeated sweep
synthesizes nothing, an extended one only the new points), and a real local Dask cluster (a
scheduler and two worker processes on the loopback address), one of whose workers is killed
mid-sweep."""

import json
import os
import signal
import threading
import time

import pytest

from baps_rtl.cli import main
from baps_rtl.designs.errors import UsageError
from baps_rtl.designs.schedule import DaskExecutor, using
from baps_rtl.synth.libraries import get_library
from baps_rtl.synth.sweep import MAX_POINTS, parse_grid, run_sweep, sweep_points
from baps_rtl.synth.synthesize import synthesize

GRID = ["in_format=hif8,e4m3", "impl=table,split", "out_format=hif8,fp16"]   # 8 points


def _points(tmp_path, grid=GRID):
    axes = parse_grid("exp2_code", grid)
    return axes, sweep_points("exp2_code", axes, [], [get_library("generic", tmp_path / "cells")],
                              [None])


@pytest.mark.parametrize("grid, message", [
    (["lanes=2,4"], "unknown parameter 'lanes' for design exp2_code; allowed: in_format"),
    (["impl"], "--grid 'impl' is not of the form NAME=V1,V2,..."),
    (["impl=table", "impl=split"], "--grid 'impl' is given twice"),
    (["impl=rom"], "exp2_code: impl='rom' is not allowed; allowed: table, split"),
    (["stages=" + ",".join(map(str, range(9))), "in_format=" + ",".join(["hif8"] * 60)],
     f"the grid has 540 points; allowed: at most {MAX_POINTS}"),
])
def test_a_bad_grid_is_one_line_before_any_job(grid, message, tmp_path):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(".", r"\.")):
        _points(tmp_path, grid)


def test_a_sweep_matches_direct_synthesis_and_its_cache_skips_done_points(tmp_path):
    axes, points = _points(tmp_path)
    first = run_sweep("exp2_code", axes, points, tmp_path / "sweep")
    assert first["points"] == first["synthesized"] == 8
    [direct] = synthesize(points[5].config, points[5].lib, tmp_path / "direct")
    assert first["rows"][5]["module"] == direct.module
    assert first["rows"][5]["area_ge"] == round(direct.area_ge, 1)
    again = run_sweep("exp2_code", axes, points, tmp_path / "sweep")
    assert again["synthesized"] == 0 and all(r["reused"] for r in again["rows"])
    assert [r["area_ge"] for r in again["rows"]] == [r["area_ge"] for r in first["rows"]]
    wider_axes, wider = _points(tmp_path, GRID + ["stages=0,1"])
    extended = run_sweep("exp2_code", wider_axes, wider, tmp_path / "sweep")
    assert extended["points"] == 16 and extended["synthesized"] == 8   # only the stages=1 half
    for name in ("sweep.md", "sweep.csv", "sweep.json", "sweep.png"):
        assert (tmp_path / "sweep" / name).stat().st_size > 0


@pytest.fixture(scope="module")
def cluster():
    """A real Dask cluster: a scheduler and two worker processes on the loopback address."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local, Client(local) as client:
        yield local, client


def test_the_sweep_command_on_a_running_scheduler_gives_the_thread_results(cluster, tmp_path,
                                                                            capsys):
    local, _ = cluster
    argv = ["sweep", "exp2_code", *sum((["--grid", g] for g in GRID), [])]
    assert main(argv + ["-o", str(tmp_path / "threads")]) == 0
    assert main(argv + ["-o", str(tmp_path / "dask"), "--scheduler",
                        local.scheduler_address]) == 0
    out = capsys.readouterr().out
    assert f"jobs run on Dask scheduler {local.scheduler_address}" in out
    threads, dask = (json.loads((tmp_path / d / "sweep.json").read_text())
                     for d in ("threads", "dask"))
    assert dask["executor"] == f"Dask scheduler {local.scheduler_address}"
    assert dask["synthesized"] == 8
    assert [r["area_ge"] for r in dask["rows"]] == [r["area_ge"] for r in threads["rows"]]


def test_a_worker_killed_mid_sweep_loses_no_finished_result(cluster, tmp_path):
    """Kill one worker process once the first synthesis has stored its result: the sweep still
    ends with every point, and no synthesis that had finished is run again."""
    _, client = cluster
    axes, points = _points(tmp_path)
    stored = tmp_path / "sweep" / "generic"
    result, finished_at_kill = {}, {}

    def sweep():
        with using(DaskExecutor(lambda: client, "test cluster", announce=lambda _: None)):
            result.update(run_sweep("exp2_code", axes, points, tmp_path / "sweep"))

    thread = threading.Thread(target=sweep)
    thread.start()
    deadline = time.monotonic() + 120
    while not list(stored.glob("*/synthesis-run.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    finished_at_kill.update({p: p.stat().st_mtime_ns for p in stored.glob("*/synthesis-run.json")})
    pid = next(iter(client.run(os.getpid).values()))
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive() and result["points"] == 8
    assert finished_at_kill and len(finished_at_kill) < 8       # killed mid-sweep
    for path, mtime in finished_at_kill.items():
        assert path.stat().st_mtime_ns == mtime                  # stored once, not redone
    _, reference = _points(tmp_path)
    direct = run_sweep("exp2_code", axes, reference, tmp_path / "reference")
    assert [r["area_ge"] for r in result["rows"]] == [r["area_ge"] for r in direct["rows"]]
