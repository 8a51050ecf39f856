"""A cache of Verilator's design-independent runtime objects (``verilated*.o``).

Every Verilator build compiles the same runtime sources (``verilated.cpp``, ``verilated_vpi.cpp``
…) with the same flags: about 17 s of CPU per build on this project's machines, against 2–10 s for
the design itself. The first build stores its runtime objects here; later builds start with them in
their object directory, so ``make`` finds them up to date and compiles only the design. The copy
has to happen after Verilator writes its makefiles (the objects depend on ``Vtop.mk``) and before
``make``: ``CachingVerilator`` adds that step to cocotb's Verilator runner.

The cache key covers everything the objects depend on: the Verilator and cocotb install locations
and their source files' modification times, the compiler environment (``CXX``, ``CXXFLAGS``,
``MAKEFLAGS``) and whether tracing or coverage is on (they change the defines). A different key gets a different
folder, so a stale object is never reused. ``BAPS_VERILATOR_CACHE`` moves the cache (default:
``$XDG_CACHE_HOME/baps-rtl/verilator-runtime``, else ``~/.cache/...``); set it to ``off`` to compile
the runtime in every build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from cocotb_tools.runner import Verilator

__all__ = ["CachingVerilator", "cache_dir", "seed_objects", "store_objects"]

_PATTERN = "verilated*.o"


def _sources() -> list[Path]:
    import cocotb_tools.config
    import verilator
    include = Path(verilator.__file__).parent / "include"
    return [include / "verilated.cpp", include / "verilated_vpi.cpp", include / "verilated.mk",
            Path(cocotb_tools.config.share_dir) / "lib" / "verilator" / "verilator.cpp"]


def cache_dir(waves: bool, coverage: bool = False) -> Path | None:
    """The folder for this build environment's runtime objects, or None when caching is off."""
    root = os.environ.get("BAPS_VERILATOR_CACHE", "")
    if root.lower() == "off":
        return None
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "baps-rtl" / "verilator-runtime"
    h = hashlib.sha256()
    for src in _sources():
        st = src.stat() if src.exists() else None
        h.update(f"{src}:{st.st_mtime_ns if st else 'missing'};".encode())
    for var in ("CXX", "CXXFLAGS", "MAKEFLAGS"):
        h.update(f"{var}={os.environ.get(var, '')};".encode())
    h.update(f"waves={int(waves)}".encode())
    if coverage:                          # instrumented builds define VM_COVERAGE
        h.update(b";coverage=1")
    return Path(root) / h.hexdigest()[:16]


def seed_objects(object_dir: Path, cache: Path) -> int:
    """Copy cached runtime objects into an object directory (with the current time, so make sees
    them as newer than ``Vtop.mk`` and their sources). Returns how many were copied."""
    if not cache.is_dir():
        return 0
    n = 0
    for obj in cache.glob(_PATTERN):
        target = object_dir / obj.name
        if target.exists():
            continue
        partial = object_dir / f".{obj.name}.partial"
        try:
            shutil.copyfile(obj, partial)    # copyfile: new modification time
            partial.rename(target)           # whole or absent: make compiles what is absent
            n += 1
        except OSError:
            partial.unlink(missing_ok=True)
    return n


def store_objects(object_dir: Path, waves: bool, coverage: bool = False):
    """After a successful build, keep its runtime objects if the cache has none yet. Parallel
    builds may race: each writes a private folder and renames it into place; the loser discards."""
    cache = cache_dir(waves, coverage)
    objects = sorted(object_dir.glob(_PATTERN))
    if cache is None or cache.is_dir() or not objects:
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".staging-"))
    except OSError:
        return                                # no writable cache folder: builds still work
    try:
        for obj in objects:
            shutil.copyfile(obj, staging / obj.name)
        staging.rename(cache)
    except OSError:                           # another build stored them first, or no space
        shutil.rmtree(staging, ignore_errors=True)


class CachingVerilator(Verilator):
    """cocotb's Verilator runner with one more build step between ``verilator`` and ``make``:
    seed the object directory from the cache. Storing is the caller's job, after a build that
    succeeded (``store_objects``)."""

    def _build_command(self):
        cmds = super()._build_command()
        coverage = any(str(a).startswith("--coverage") for a in self.build_args)
        cache = cache_dir(self.waves, coverage)
        if cache is None or not cmds or cmds[-1][0] != "make":
            return cmds
        seed = [sys.executable, "-m", __name__, str(self.build_dir), str(cache)]
        return [*cmds[:-1], seed, cmds[-1]]


if __name__ == "__main__":           # the seeding step of CachingVerilator's build
    seed_objects(Path(sys.argv[1]), Path(sys.argv[2]))
