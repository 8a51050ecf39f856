"""Bandwidth measured in cycle-accurate simulation (Amaranth simulator), not asserted.

``link_bandwidth``: the same ``width``-bit ``MatrixVectorLink`` (a FIFO of depth 4) carrying score
codes of every width the project has (FP16; 8-bit HiF8, E4M3, E5M2, u4.4, u5.4/e2; the 5–7-bit
distance codes), ⌊W/bits⌋ per beat, source always valid, sink ready with probability 1 − ``stall``:
scores per cycle from the first to the last transfer, and the ratio to FP16 on the same link.
``datapath_throughput``: a whole tile through ``BapsDatapath`` with the lanes a ``width``-bit link
carries (⌊W/bits⌋): scores per cycle and first-output latency.
"""

from __future__ import annotations

from ..designs.errors import UsageError
from ..golden.baps_stream import TileShape, score_beats, tile_scores
from ..hdl.baps_datapath import BapsDatapath
from ..hdl.link import ELEMENTS, MatrixVectorLink
from .amaranth_stream import run_stream

__all__ = ["CODE_WIDTHS", "link_bandwidth", "datapath_throughput", "bench_link", "print_bench"]

CODE_WIDTHS = {bits: tuple(n for n, b in ELEMENTS.items() if b == bits)
               for bits in sorted(set(ELEMENTS.values()), reverse=True)}
"""Every code width on the link → the codes of that width (the link sees only the width; the
first name is the one simulated)."""
BLOCK_BEATS = 8          # beats per row and key block in the datapath tile (bc = 8·lanes)


def _rate(run, scores_per_beat: int) -> dict:
    cycles = run.output_cycles[-1] - run.input_cycles[0] + 1
    n = len(run.outputs) * scores_per_beat
    return {"beats": len(run.outputs), "scores": n, "cycles": cycles, "scores_per_cycle": n / cycles}


def link_bandwidth(width: int = 64, beats: int = 2000, stall: float = 0.0, seed: int = 1) -> dict:
    """Every code width of ``CODE_WIDTHS`` over one ``width``-bit link; ``ratio``: scores per
    cycle over FP16's, measured in the same run."""
    out = {"width": width, "stall": stall, "codes": {}}
    for bits, names in CODE_WIDTHS.items():
        if bits > width:
            continue
        link = MatrixVectorLink(width=width, element=names[0], depth=4)
        per = link.elements
        data = [{"codes": [(k * per + j) % (1 << bits) for j in range(per)], "row": 0,
                 "shift": 0, "first_block": 1, "last_block": 1, "first_beat": 1, "last_beat": 1}
                for k in range(beats)]
        run = run_stream(link, data, seed=seed, idle=0.0, stall=stall)
        if run.outputs != data:
            raise AssertionError(f"{bits}-bit link lost or reordered beats")
        out["codes"][bits] = {"names": list(names), "codes_per_beat": per,
                              "padding_bits": link.padding_bits, **_rate(run, per)}
    fp16 = out["codes"][16]["scores_per_cycle"]
    for r in out["codes"].values():
        r["ratio_to_fp16"] = r["scores_per_cycle"] / fp16
    return out


def datapath_throughput(lanes: int = 8, br: int = 8, bc: int = 64, blocks: int = 4,
                        link_depth: int = 4, score_format: str = "hif8",
                        link_width: int | None = None) -> dict:
    shape = TileShape(br, bc, lanes, blocks)
    beats = score_beats(tile_scores("medium", shape, score_format=score_format), shape)
    dp = BapsDatapath(br=br, bc=bc, lanes=lanes, link_depth=link_depth, link_width=link_width,
                      score_format=score_format)
    run = run_stream(dp, beats, idle=0.0, stall=0.0)
    return {"score_format": score_format, "lanes": lanes, "link_width": dp.link.width,
            "br": br, "bc": bc, "blocks": blocks,
            "latency_cycles": run.output_cycles[0] - run.input_cycles[0], **_rate(run, lanes)}


def bench_link(width, beats, stall):
    """The link at ``width`` bits for every code width, and the BAPS datapath with the lanes that
    link carries for every score-code width (the first code of each width, HiF8 P; Br 8,
    Bc = 8·lanes, 4 blocks)."""
    if not isinstance(width, int) or not 16 <= width <= 1024:
        raise UsageError(f"--width {width}: allowed: 16..1024 (one FP16 code or more)")
    if not 1 <= beats <= 10 ** 6:
        raise UsageError(f"--beats {beats}: allowed: 1..1000000")
    if not 0.0 <= stall < 1.0:
        raise UsageError(f"--stall {stall}: allowed: 0 <= P < 1")
    link = link_bandwidth(width, beats, stall)
    datapaths = [datapath_throughput(lanes=width // bits, bc=BLOCK_BEATS * (width // bits),
                                     score_format=names[0], link_width=width)
                 for bits, names in CODE_WIDTHS.items() if bits < 16]
    return {"link": link, "datapaths": datapaths}


def print_bench(b):
    link = b["link"]
    print(f"  link {link['width']} bits, receiver stall probability {link['stall']}:")
    for bits, r in link["codes"].items():
        pad = f", {r['padding_bits']} bits unused" if r["padding_bits"] else ""
        print(f"    {bits:2d}-bit codes ({', '.join(r['names'])}): {r['codes_per_beat']} per "
              f"beat{pad}; {r['scores']} scores in {r['cycles']} cycles = "
              f"{r['scores_per_cycle']:.3f} scores/cycle = {r['ratio_to_fp16']:.3f}x FP16")
    for dp in b["datapaths"]:
        print(f"  BapsDatapath {dp['score_format']} lanes={dp['lanes']} on the {dp['link_width']}-bit "
              f"link (Br {dp['br']}, "
              f"Bc {dp['bc']}, {dp['blocks']} blocks): {dp['scores']} scores in {dp['cycles']} "
              f"cycles = {dp['scores_per_cycle']:.3f} scores/cycle, first output after "
              f"{dp['latency_cycles']} cycles")
