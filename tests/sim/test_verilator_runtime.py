"""The cache of Verilator's runtime objects: a second build compiles only the design, still passes,
and the cache key separates builds whose runtime objects differ."""

import pytest

from baps_rtl.designs import get_design, parse_params
from baps_rtl.sim import verilator_runtime
from baps_rtl.sim.runner import run_config

pytestmark = pytest.mark.cocotb


def _compiled(build_log) -> set[str]:
    """The runtime objects that a build's make compiled (``-o verilated_vpi.o`` ...)."""
    words = build_log.read_text().split()
    return {words[k + 1] for k, w in enumerate(words[:-1])
            if w == "-o" and words[k + 1].startswith("verilated")}


def test_second_build_reuses_the_runtime_objects(tmp_path, monkeypatch):
    monkeypatch.setenv("BAPS_VERILATOR_CACHE", str(tmp_path / "cache"))
    config = parse_params(get_design("exp2_hif8"), ["out_format=hif8"])
    first = run_config(config, "verilator", tmp_path / "a")
    log_a = tmp_path / "a" / f"{config.module_name}-verilator" / "build.log"
    assert first.passed and "verilated_vpi.o" in _compiled(log_a)
    [cache] = (tmp_path / "cache").iterdir()
    assert {p.name for p in cache.iterdir()} == _compiled(log_a)
    second = run_config(config, "verilator", tmp_path / "b")
    log_b = tmp_path / "b" / f"{config.module_name}-verilator" / "build.log"
    assert second.passed and second.checked == 256
    assert _compiled(log_b) == set()          # only the design and cocotb's main were compiled
    assert "Vtop__ALL.o" in log_b.read_text()


def test_cache_key_follows_tracing_and_make_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("BAPS_VERILATOR_CACHE", str(tmp_path))
    monkeypatch.setenv("MAKEFLAGS", "OPT_GLOBAL=-O2")
    plain, traced = verilator_runtime.cache_dir(False), verilator_runtime.cache_dir(True)
    assert plain.parent == tmp_path and plain != traced
    monkeypatch.setenv("MAKEFLAGS", "OPT_GLOBAL=-O0")
    assert verilator_runtime.cache_dir(False) != plain
    monkeypatch.setenv("BAPS_VERILATOR_CACHE", "off")
    assert verilator_runtime.cache_dir(False) is None


def test_an_unwritable_cache_folder_does_not_break_builds(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("BAPS_VERILATOR_CACHE", str(blocker / "cache"))
    obj_dir = tmp_path / "objects"
    obj_dir.mkdir()
    (obj_dir / "verilated.o").write_bytes(b"object")
    verilator_runtime.store_objects(obj_dir, waves=False)          # must not raise
    assert blocker.is_file()
    assert verilator_runtime.seed_objects(obj_dir, blocker / "cache") == 0
