"""The speed-up of a Dask LocalCluster of two workers over one on one synthesis sweep
(8 points of softermax_datapath: lanes 2, 4 × Br 1, 2 × stages 0, 2 at Bc 16), each run into a
fresh folder so every point is synthesized; writes docs/results/sweep_speedup.md.

    .venv/bin/python tools/sweep_speedup.py [--output docs/results/sweep_speedup.md]

Takes about 5 minutes on 2 cores. Run it on an otherwise idle machine: it compares two wall
times measured one after the other."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

SWEEP = ["softermax_datapath", "--grid", "lanes=2,4", "--grid", "br=1,2", "--grid", "stages=0,2",
         "-p", "bc=16"]


def run(workers: int, outdir: Path) -> dict:
    cmd = [sys.executable, "-m", "baps_rtl.cli", "sweep", *SWEEP, "-o", str(outdir),
           "--dask", str(workers)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((outdir / "sweep.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("docs/results/sweep_speedup.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one, two = run(1, Path(tmp) / "one"), run(2, Path(tmp) / "two")
    assert one["synthesized"] == two["synthesized"] == one["points"] == 8
    assert [r["area_ge"] for r in one["rows"]] == [r["area_ge"] for r in two["rows"]]
    text = "\n".join([
        "# Sweep speed-up on a Dask LocalCluster",
        "",
        f"Written by `python tools/sweep_speedup.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores. The sweep: `baps-rtl sweep {' '.join(SWEEP)} --dask N`, "
        f"{one['points']} synthesis jobs, every one synthesized (fresh folders), the same "
        "areas from both runs.",
        "",
        "| workers | wall (s) | speed-up |",
        "|---|---|---|",
        f"| 1 | {one['wall_seconds']:.1f} | 1.00× |",
        f"| 2 | {two['wall_seconds']:.1f} | {one['wall_seconds'] / two['wall_seconds']:.2f}× |",
        ""])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
