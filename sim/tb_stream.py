"""cocotb testbench for any one-code-in, one-code-out stream unit, driven by a golden vector file.

Environment (set by ``baps_rtl.sim.runner``): ``BAPS_VECTORS`` (vector file), ``BAPS_SUMMARY``
(JSON written at the end), ``BAPS_SEED``, ``BAPS_IDLE`` (probability of an idle input cycle),
``BAPS_STALL`` (probability that the output is not ready in a cycle).

Every cycle: inputs are driven just after a rising edge (cocotb applies the writes after the
edge has been evaluated, so the design sees them at the next edge), handshakes are sampled in the
read-only phase before the next rising edge, where transfers happen. The driver keeps ``valid``
and the payload stable until a transfer; the monitor takes outputs in order; the checker compares
each with the expected code, and at the end fails on any mismatch, missing output or extra
output.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotb.types import LogicArray

from baps_rtl.golden.formats import FORMATS
from baps_rtl.designs.files import write_text
from baps_rtl.designs.vectors import read_vectors

MAX_REPORTED = 10


class RawBeats:
    """Describes a packed beat (a payload that is not a number format) in hex."""

    def __init__(self, width: int):
        self.digits = -(-width // 4)

    def describe(self, code: int) -> str:
        return f"0x{int(code):0{self.digits}X}"


def describer(name: str, width: int):
    return FORMATS[name] if name in FORMATS else RawBeats(width)


class StreamDriver:
    """Presents the inputs in order with random idle cycles; holds each until it is taken."""

    def __init__(self, dut, inputs, rng: random.Random, idle_prob: float):
        self.inputs, self.rng, self.idle_prob = [int(v) for v in inputs], rng, idle_prob
        self.valid, self.payload = dut.i__valid, dut.i__payload
        self.width = len(self.payload)
        self.sent = 0
        self.presenting = False

    @property
    def done(self) -> bool:
        return self.sent == len(self.inputs)

    def drive(self):
        if not self.presenting and not self.done and self.rng.random() >= self.idle_prob:
            self.presenting = True
            code = self.inputs[self.sent]
            # LogicArray for packed beats wider than a C int; a plain int is faster
            self.payload.value = (code if self.width <= 31 else
                                  LogicArray.from_unsigned(code, self.width))
        self.valid.value = int(self.presenting)

    def transferred(self):
        self.presenting = False
        self.sent += 1


class StreamMonitor:
    """Drives ``o.ready`` with random stalls (always ready while draining)."""

    def __init__(self, dut, rng: random.Random, stall_prob: float):
        self.rng, self.stall_prob = rng, stall_prob
        self.ready = dut.o__ready
        self.is_ready = False

    def drive(self, draining: bool):
        self.is_ready = draining or self.rng.random() >= self.stall_prob
        self.ready.value = int(self.is_ready)


class Checker:
    """In-order comparison against the expected codes, with decoded values in every message."""

    def __init__(self, inputs, expected, in_fmt, out_fmt, log):
        self.inputs, self.expected = list(inputs), list(expected)
        self.in_fmt, self.out_fmt, self.log = in_fmt, out_fmt, log
        self.checked = self.mismatches = self.extra = 0

    def check(self, actual: int):
        k = self.checked + self.extra
        if k >= len(self.expected):
            self.extra += 1
            self.log.error("extra output %s after all %d expected outputs",
                           self.out_fmt.describe(actual), len(self.expected))
            return
        self.checked += 1
        if actual != self.expected[k]:
            self.mismatches += 1
            if self.mismatches <= MAX_REPORTED:
                self.log.error("mismatch #%d: input %s expected %s actual %s", k,
                               self.in_fmt.describe(self.inputs[k]),
                               self.out_fmt.describe(self.expected[k]),
                               self.out_fmt.describe(actual))

    @property
    def missing(self) -> int:
        return len(self.expected) - self.checked


@cocotb.test()
async def stream_vectors(dut):
    vectors = read_vectors(os.environ["BAPS_VECTORS"])
    header = vectors.header
    in_fmt = describer(header["in_format"], header["in_width"])
    out_fmt = describer(header["out_format"], header["out_width"])
    rng = random.Random(int(os.environ.get("BAPS_SEED", "1")))
    driver = StreamDriver(dut, vectors.inputs, rng, float(os.environ.get("BAPS_IDLE", "0.1")))
    monitor = StreamMonitor(dut, rng, float(os.environ.get("BAPS_STALL", "0.2")))
    checker = Checker(vectors.inputs, vectors.expected, in_fmt, out_fmt, dut._log)

    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.i__valid.value = 0
    dut.o__ready.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0

    # handles and triggers looked up once, not every cycle (the Python side is the bottleneck)
    i_ready, o_valid, o_payload = dut.i__ready, dut.o__valid, dut.o__payload
    rising, read_only = RisingEdge(dut.clk), ReadOnly()
    count = len(vectors.inputs)
    stuck_limit = 1000                 # cycles without any transfer: a hang ends the run
    drain = 32                         # cycles with ready high after the last expected output
    cycles = quiet = 0
    first_input = last_output = None
    while quiet < stuck_limit and drain > 0:
        draining = driver.done and checker.missing == 0
        driver.drive()
        monitor.drive(draining)
        await read_only
        took_input = driver.presenting and bool(i_ready.value)
        gave_output = monitor.is_ready and bool(o_valid.value)
        actual = None
        if gave_output:
            value = o_payload.value
            if not value.is_resolvable:
                raise AssertionError(f"output beat with X/Z bits: {value}")
            actual = value.to_unsigned()
        await rising
        cycles += 1
        quiet = 0 if (took_input or gave_output) else quiet + 1
        if took_input:
            driver.transferred()
            first_input = cycles if first_input is None else first_input
        if gave_output:
            checker.check(actual)
            last_output = cycles
        if draining:
            drain -= 1

    summary = {"vectors": count, "checked": checker.checked, "mismatches": checker.mismatches,
               "missing": checker.missing, "extra": checker.extra, "cycles": cycles,
               "sent": driver.sent,
               # from the first input transfer to the last output transfer, both included
               "span_cycles": (last_output - first_input + 1
                               if first_input is not None and last_output is not None else 0)}
    if "BAPS_SUMMARY" in os.environ:
        write_text(os.environ["BAPS_SUMMARY"], json.dumps(summary))
    dut._log.info("summary: %s", summary)
    assert checker.mismatches == 0, f"{checker.mismatches} of {checker.checked} outputs mismatched"
    assert checker.missing == 0, f"{checker.missing} expected outputs never arrived ({cycles} cycles)"
    assert checker.extra == 0, f"{checker.extra} extra outputs"
