"""cocotb testbench of a datapath's AXI4-Stream top (``designs.axis``), through cocotbext-axi.

Environment (set by ``baps_rtl.sim.runner.run_axis``): ``BAPS_VECTORS`` (the design's golden
vector file: beats in the design's own payload layout), ``BAPS_AXIS`` (the top's sidecar: the
tdata/tuser bit map), ``BAPS_SUMMARY``, ``BAPS_SEED``, ``BAPS_IDLE`` and ``BAPS_STALL``
(probabilities of a paused source cycle and of a paused sink cycle: cocotbext-axi's pause
generators).

Each input beat is split into tdata and tuser by the sidecar's map; a row's key block
(``beats_per_block`` beats) is one AXI4-Stream frame, so ``AxiStreamSource`` raises tlast on
its last beat. ``AxiStreamSink`` collects the output beats; each is put back together (tdata,
tuser, tlast as the framing's last_beat) into the design's output payload and compared in order
with the golden one. A frame is also checked to end exactly where the payload's last_beat is.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, with_timeout
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from baps_rtl.designs.files import write_text
from baps_rtl.designs.vectors import read_vectors

MAX_REPORTED = 10


def _split(beat: int, fields: list[dict]) -> int:
    """The bits of ``fields`` of a payload ``beat``, packed at their port offsets."""
    value = 0
    for f in fields:
        value |= ((beat >> f["beat_offset"]) & ((1 << f["width"]) - 1)) << f["offset"]
    return value


def _join(port_value: int, fields: list[dict]) -> int:
    """The payload bits of ``fields`` from a port's value (inverse of ``_split``)."""
    beat = 0
    for f in fields:
        beat |= ((port_value >> f["offset"]) & ((1 << f["width"]) - 1)) << f["beat_offset"]
    return beat


def _pauses(rng: random.Random, probability: float):
    while True:
        yield int(rng.random() < probability)


@cocotb.test()
async def axis_vectors(dut):
    vectors = read_vectors(os.environ["BAPS_VECTORS"])
    axis = json.loads(open(os.environ["BAPS_AXIS"]).read())
    s_map, m_map = axis["map"]["s_axis"], axis["map"]["m_axis"]
    per_block = int(os.environ["BAPS_BEATS_PER_BLOCK"])
    rng = random.Random(int(os.environ.get("BAPS_SEED", "1")))

    Clock(dut.aclk, 10, unit="ns").start()
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                             reset_active_level=False, byte_lanes=1)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn,
                         reset_active_level=False, byte_lanes=1)
    source.set_pause_generator(_pauses(rng, float(os.environ.get("BAPS_IDLE", "0.1"))))
    sink.set_pause_generator(_pauses(rng, float(os.environ.get("BAPS_STALL", "0.2"))))
    dut.aresetn.value = 0
    for _ in range(3):
        await RisingEdge(dut.aclk)
    dut.aresetn.value = 1
    start_ns = get_sim_time(unit="ns")

    inputs = list(vectors.inputs)
    if len(inputs) % per_block:
        raise AssertionError(f"{len(inputs)} input beats are not whole blocks of {per_block}")
    for k in range(0, len(inputs), per_block):
        block = inputs[k:k + per_block]
        await source.send(AxiStreamFrame(tdata=[_split(b, s_map["tdata"]) for b in block],
                                         tuser=[_split(b, s_map["tuser"]) for b in block]))

    expected = list(vectors.expected)
    last_beat = m_map["tlast"]["beat_offset"]
    actual, frames_misaligned, cycles_limit = [], 0, 2000 + 20 * len(inputs)
    while len(actual) < len(expected):
        frame = await with_timeout(sink.recv(), cycles_limit * 10, "ns")
        tusers = frame.tuser if isinstance(frame.tuser, list) else [frame.tuser] * len(frame.tdata)
        beats = [_join(d, m_map["tdata"]) | _join(u, m_map["tuser"])
                 for d, u in zip(frame.tdata, tusers)]
        beats[-1] |= 1 << last_beat
        frames_misaligned += sum(1 for e, b in zip(expected[len(actual):], beats)
                                 if (e >> last_beat) & 1 != (b >> last_beat) & 1)
        actual += beats
    cycles = round((get_sim_time(unit="ns") - start_ns) / 10)   # to the last expected beat
    for _ in range(32):                       # a beat after the last expected one is an error
        await RisingEdge(dut.aclk)
    extra = len(actual) - len(expected) + sum(len(f.tdata) for f in _drain(sink))
    mismatches = 0
    for k, (e, a) in enumerate(zip(expected, actual)):
        if e != a:
            mismatches += 1
            if mismatches <= MAX_REPORTED:
                dut._log.error("mismatch #%d: expected 0x%X actual 0x%X", k, e, a)
    checked = min(len(expected), len(actual))
    summary = {"vectors": len(inputs), "checked": checked, "mismatches": mismatches,
               "missing": len(expected) - checked, "extra": max(0, extra), "cycles": cycles,
               "sent": len(inputs), "span_cycles": 0, "frames_misaligned": frames_misaligned}
    write_text(os.environ["BAPS_SUMMARY"], json.dumps(summary))
    dut._log.info("summary: %s", summary)
    assert mismatches == 0, f"{mismatches} of {checked} output beats mismatched"
    assert frames_misaligned == 0, f"{frames_misaligned} beats with tlast in the wrong place"
    assert summary["extra"] == 0, f"{summary['extra']} extra output beats"


def _drain(sink):
    while not sink.empty():
        yield sink.recv_nowait()
