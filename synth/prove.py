"""Formal proofs with pyosys: equivalent implementations and the stream contract, by k-induction.

* **Equivalence**: the implementations of one function (a design's ``equivalent`` parameter:
  the EXP2 units' ``impl``, table vs split, at each area configuration) are proved equal on every input and every state: ``proc -norom`` (tables stay
  logic), ``equiv_make``, ``equiv_simple -seq 2``, ``equiv_induct``, ``equiv_status -assert``.
* **Stream contract**: a harness drives the design's input stream and output ready with free
  values (``AnySeq``) and asserts, on every cycle after the first: (1) while the output is
  stalled (valid and not ready) its valid and payload hold to the next cycle; (2) for each
  counted stream pair (a pipeline's input and output; the link FIFO inside the datapath), the
  beats accepted minus the beats delivered equal the beats it holds (``in_flight``: the valid
  pipeline stages, the FIFO's level) and never exceed its capacity — no beat lost or
  duplicated. Proved by ``sat -tempinduct`` (base case and induction step, at most 8 steps).
  The link FIFO's count closes by induction for power-of-two depths (the datapath's area
  configuration has depth 4); with other depths ``amaranth.lib.fifo``'s pointers reach
  unreachable states within 8 steps and the proof is reported as not holding.

Each proof runs in its own process (one design per Yosys process). ``run_proofs`` returns one
``ProofResult`` per proof; the command line exits 0 only when every proof holds.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from amaranth import Elaboratable, Module, Signal, Value
from amaranth.asserts import AnySeq
from amaranth.back import rtlil, verilog
from amaranth.hdl import Assert

from .yosys_flow import run_commands
from ..designs.files import write_text

__all__ = ["ProofResult", "Proof", "StreamHarness", "equivalence_proof", "stream_proof",
           "registered_proofs", "run_proofs", "markdown"]

MAX_STEPS = 8            # induction length tried at most


@dataclass
class ProofResult:
    name: str
    kind: str            # "equivalence" or "stream"
    holds: bool
    seconds: float
    detail: str          # the tool's verdict line


@dataclass
class Proof:
    name: str
    kind: str
    run: Callable[[], ProofResult]


class StreamHarness(Elaboratable):
    """Free inputs for ``dut.i`` and ``dut.o.ready``; assertions (1) and (2) of the module
    docstring. ``counted``: (input stream, output stream, in_flight signal, capacity) tuples."""

    def __init__(self, dut, counted=()):
        self.dut, self.counted = dut, list(counted)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        payload, out = Value.cast(dut.i.payload), Value.cast(dut.o.payload)
        m.d.comb += [dut.i.valid.eq(AnySeq(1)), payload.eq(AnySeq(len(payload))),
                     dut.o.ready.eq(AnySeq(1))]
        started = Signal()
        stalled = Signal()
        held = Signal(len(out))
        m.d.sync += [started.eq(1), stalled.eq(dut.o.valid & ~dut.o.ready), held.eq(out)]
        with m.If(started & stalled):
            m.d.comb += [Assert(dut.o.valid), Assert(out == held)]
        for k, (src, dst, in_flight, capacity) in enumerate(self.counted):
            count = Signal(range(capacity + 2), name=f"outstanding_{k}")
            accepted = src.valid & src.ready
            delivered = dst.valid & dst.ready
            m.d.sync += count.eq(count + accepted - delivered)
            m.d.comb += [Assert(count == in_flight), Assert(count <= capacity)]
        return m


def _run_yosys(commands: list[str], work: Path) -> tuple[bool, str]:
    """(the commands passed, the tool's last verdict line)."""
    failed = run_commands(commands, work / "yosys.log", cwd=work)
    text = (work / "yosys.log").read_text()
    verdicts = [line.strip() for line in text.splitlines()
                if "proven" in line or "SUCCESS" in line or "FAIL" in line
                or "ERROR" in line or "unproven" in line]
    return failed == 0, (verdicts[-1] if verdicts else text.strip()[-200:])


def equivalence_proof(name: str, gold: Callable[[], Elaboratable],
                      gate: Callable[[], Elaboratable]) -> ProofResult:
    """Prove the two components (built by ``gold()`` and ``gate()``) equivalent."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_text(work / "gold.v", verilog.convert(gold(), name="gold", emit_src=False))
        write_text(work / "gate.v", verilog.convert(gate(), name="gate", emit_src=False))
        ok, detail = _run_yosys([
            "read_verilog gold.v", "read_verilog gate.v", "proc -norom", "opt_clean",
            "equiv_make gold gate equiv", "hierarchy -top equiv", "equiv_simple -seq 2",
            "equiv_induct", "equiv_status -assert"], work)
    return ProofResult(name, "equivalence", ok, time.monotonic() - t0, detail)


def stream_proof(name: str, build: Callable[[], tuple]) -> ProofResult:
    """Prove the stream contract of the component ``build()`` returns with its counted pairs:
    ``build() -> (dut, counted)``."""
    t0 = time.monotonic()
    dut, counted = build()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_text(work / "harness.il",
            rtlil.convert(StreamHarness(dut, counted), name="harness", ports=[]))
        ok, detail = _run_yosys([
            "read_rtlil harness.il", "hierarchy -top harness", "proc -norom", "flatten",
            "memory_map", "async2sync", "chformal -lower", "opt -fast",
            f"sat -tempinduct -prove-asserts -set-init-zero -seq 1 -maxsteps {MAX_STEPS} "
            "-verify"], work)
    return ProofResult(name, "stream", ok, time.monotonic() - t0, detail)


def _counted(dut) -> tuple:
    """(dut, counted pairs): a pipeline's own input and output; a datapath's link FIFO."""
    from ..hdl.pipeline import StreamPipeline
    if isinstance(dut, StreamPipeline):
        return dut, [(dut.i, dut.o, dut.in_flight(), dut.latency)]
    link = getattr(dut, "link", None)
    if link is not None and link.depth:
        return dut, [(link.i, link.o, link.in_flight(), link.depth)]
    return dut, []


def registered_proofs(names: list[str] | None = None) -> list[Proof]:
    """Every proof for the registered designs (all when ``names`` is None): for a design whose
    registration names an ``equivalent`` parameter (two implementations of one function), each
    area configuration with its first choice proved equal to the same configuration with every
    other choice; and the stream contract of each design's area configurations (the smallest
    datapath: its link FIFO counted)."""
    from ..designs import DESIGNS, Config, all_configs, get_design
    names = list(DESIGNS) if names is None else names
    proofs = []
    for design in (get_design(n) for n in names):
        knob = design.equivalent
        if knob is None:
            continue
        first, *others = design.params.SPEC[knob].choices
        for config in all_configs([design.name], "area"):
            if getattr(config.params, knob) != first:
                continue
            for other in others:
                alt = Config.of(design, {**config.params.as_dict(), knob: other})
                name = f"{config.module_name} ≡ {alt.module_name}"
                proofs.append(Proof(name, "equivalence", lambda name=name, a=config, b=alt:
                                    equivalence_proof(name, a.build, b.build)))
    for config in all_configs(names, "area"):
        proofs.append(Proof(
            f"{config.module_name} stream", "stream",
            lambda c=config: stream_proof(f"{c.module_name} stream",
                                          lambda: _counted(c.build()))))
    return proofs


def run_proofs(proofs: list[Proof], jobs: int = 2) -> list[ProofResult]:
    """Run ``proofs``, ``jobs`` at a time (results in the order given)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda p: p.run(), proofs))


def markdown(results: list[ProofResult]) -> str:
    lines = ["| proof | kind | holds | seconds | verdict |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {r.kind} | {'yes' if r.holds else 'NO'} | "
                     f"{r.seconds:.1f} | {r.detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
