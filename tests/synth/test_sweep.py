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
    (["impl="], "--grid 'impl=' is not of the form NAME=V1,V2,..."),
    (["impl=,"], "--grid 'impl=,' has no value; allowed: NAME=V1,V2,..."),
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
    wider_axes, wider = _points(tmp_path, ["in_format=hif8", "impl=table,split",
                                           "out_format=hif8,fp16", "stages=0,1"])
    extended = run_sweep("exp2_code", wider_axes, wider, tmp_path / "sweep")
    assert extended["points"] == 8 and extended["synthesized"] == 4   # only the stages=1 half
    for name in ("sweep.md", "sweep.csv", "sweep.json", "sweep.png"):
        assert (tmp_path / "sweep" / name).stat().st_size > 0


def test_sweeps_on_a_real_local_cluster_cache_and_survive_a_killed_worker(tmp_path, capsys):
    """A scheduler and two worker processes on the loopback address. The sweep command on it:
    every point synthesized, the areas of direct synthesis; run again: nothing synthesized.
    Then a sweep into a fresh folder, one worker process killed once the first synthesis has
    stored its result: every point still arrives with the same areas, and no synthesis that had
    finished is run again (its stored result untouched)."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as local, Client(local) as client:
        argv = ["sweep", "exp2_code", *sum((["--grid", g] for g in GRID), []), "-o",
                str(tmp_path / "dask"), "--scheduler", local.scheduler_address]
        assert main(argv) == 0
        first = json.loads((tmp_path / "dask" / "sweep.json").read_text())
        assert main(argv) == 0
        again = json.loads((tmp_path / "dask" / "sweep.json").read_text())
        assert f"jobs run on Dask scheduler {local.scheduler_address}" in capsys.readouterr().out
        assert first["executor"] == f"Dask scheduler {local.scheduler_address}"
        assert first["synthesized"] == 8 and again["synthesized"] == 0
        areas = [r["area_ge"] for r in first["rows"]]
        assert [r["area_ge"] for r in again["rows"]] == areas
        axes, points = _points(tmp_path)
        for k in (0, 7):
            [direct] = synthesize(points[k].config, points[k].lib, tmp_path / "direct")
            assert areas[k] == round(direct.area_ge, 1)

        stored = tmp_path / "killed" / "generic"
        result, finished_at_kill = {}, {}

        def sweep():
            with using(DaskExecutor(lambda: client, "test cluster", announce=lambda _: None)):
                result.update(run_sweep("exp2_code", axes, points, tmp_path / "killed"))

        thread = threading.Thread(target=sweep)
        thread.start()
        deadline = time.monotonic() + 120
        while not list(stored.glob("*/synthesis-run.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        finished_at_kill.update({p: p.stat().st_mtime_ns
                                 for p in stored.glob("*/synthesis-run.json")})
        os.kill(next(iter(client.run(os.getpid).values())), signal.SIGKILL)
        thread.join(timeout=300)
    assert not thread.is_alive() and result["points"] == 8
    assert finished_at_kill and len(finished_at_kill) < 8       # killed mid-sweep
    for path, mtime in finished_at_kill.items():
        assert path.stat().st_mtime_ns == mtime                  # stored once, not redone
    assert [r["area_ge"] for r in result["rows"]] == areas
