"""Bandwidth measured in cycle-accurate simulation (Amaranth simulator), not asserted.

``link_bandwidth``: the same ``width``-bit ``MatrixVectorLink`` (a FIFO of depth 4) carrying HiF8
(W/8 per beat) and FP16 (W/16 per beat) score codes, source always valid, sink ready with
probability 1 − ``stall``: scores per cycle from the first to the last transfer.
``datapath_throughput``: a whole tile through ``BapsDatapath`` (lanes = W/8): scores per cycle.
"""

from __future__ import annotations

from ..designs.errors import UsageError
from ..golden.baps_stream import TileShape, score_beats, tile_scores
from ..hdl.baps_datapath import BapsDatapath
from ..hdl.link import MatrixVectorLink
from .amaranth_stream import run_stream

__all__ = ["link_bandwidth", "datapath_throughput", "bench_link", "print_bench"]


def _rate(run, scores_per_beat: int) -> dict:
    cycles = run.output_cycles[-1] - run.input_cycles[0] + 1
    n = len(run.outputs) * scores_per_beat
    return {"beats": len(run.outputs), "scores": n, "cycles": cycles, "scores_per_cycle": n / cycles}


def link_bandwidth(width: int = 64, beats: int = 2000, stall: float = 0.0, seed: int = 1) -> dict:
    out = {"width": width, "stall": stall}
    for element in ("hif8", "fp16"):
        link = MatrixVectorLink(width=width, element=element, depth=4)
        per = link.elements
        data = [{"codes": [(k * per + j) % 127 for j in range(per)], "row": 0, "shift": 0,
                 "first_block": 1, "last_block": 1, "first_beat": 1, "last_beat": 1}
                for k in range(beats)]
        run = run_stream(link, data, seed=seed, idle=0.0, stall=stall)
        if run.outputs != data:
            raise AssertionError(f"{element} link lost or reordered beats")
        out[element] = {"codes_per_beat": per, **_rate(run, per)}
    out["ratio"] = out["hif8"]["scores_per_cycle"] / out["fp16"]["scores_per_cycle"]
    return out


def datapath_throughput(lanes: int = 8, br: int = 8, bc: int = 64, blocks: int = 4,
                        link_depth: int = 4) -> dict:
    shape = TileShape(br, bc, lanes, blocks)
    beats = score_beats(tile_scores("medium", shape), shape)
    run = run_stream(BapsDatapath(br=br, bc=bc, lanes=lanes, link_depth=link_depth), beats,
                     idle=0.0, stall=0.0)
    return {"lanes": lanes, "br": br, "bc": bc, "blocks": blocks,
            "latency_cycles": run.output_cycles[0] - run.input_cycles[0], **_rate(run, lanes)}


def bench_link(width, beats, stall):
    if width < 16 or width % 16:
        raise UsageError(f"--width {width}: allowed: multiples of 16 (one FP16 code or more)")
    if not 1 <= beats <= 10 ** 6:
        raise UsageError(f"--beats {beats}: allowed: 1..1000000")
    if not 0.0 <= stall < 1.0:
        raise UsageError(f"--stall {stall}: allowed: 0 <= P < 1")
    link = link_bandwidth(width, beats, stall)
    dp = datapath_throughput(lanes=width // 8)
    return {"link": link, "datapath": dp}


def print_bench(b):
    link, dp = b["link"], b["datapath"]
    for e in ("hif8", "fp16"):
        r = link[e]
        print(f"  link {link['width']} bits, {e}: {r['codes_per_beat']} scores/beat, {r['scores']} "
              f"scores in {r['cycles']} cycles = {r['scores_per_cycle']:.3f} scores/cycle")
    print(f"  HiF8 / FP16 bandwidth at equal width: {link['ratio']:.3f}x (receiver stall "
          f"probability {link['stall']})")
    print(f"  BapsDatapath lanes={dp['lanes']} (Br {dp['br']}, Bc {dp['bc']}, {dp['blocks']} blocks):"
          f" {dp['scores']} scores in {dp['cycles']} cycles = {dp['scores_per_cycle']:.3f} "
          f"scores/cycle, first output after {dp['latency_cycles']} cycles")
