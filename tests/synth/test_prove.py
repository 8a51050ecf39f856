"""Formal proofs: every registered proof holds, and each kind of proof catches a planted bug."""

import pytest
from amaranth import unsigned

from baps_rtl.cli import main
from baps_rtl.hdl.exp2_code import exp2_logic
from baps_rtl.hdl.exp2_code import Exp2Code
from baps_rtl.hdl.link import MatrixVectorLink
from baps_rtl.hdl.pipeline import StreamPipeline
from baps_rtl.synth.prove import equivalence_proof, registered_proofs, run_proofs, stream_proof


class OneWrongCode(StreamPipeline):
    """2^x of HiF8, except code 0x09 (x = 1.125) whose result has its low bit flipped."""
    latency = 1

    def __init__(self):
        super().__init__(unsigned(8), unsigned(8))

    def datapath(self, m, x, reg):
        return reg(exp2_logic(m, x, in_format="hif8", out_format="hif8", impl="split")
                   ^ (x == 0x09))


class LeakyOutput(StreamPipeline):
    """The output mixes the registered result with the live input: it changes while stalled."""
    latency = 1

    def __init__(self):
        super().__init__(unsigned(8), unsigned(8))

    def datapath(self, m, x, reg):
        return reg(x) ^ x[0]


class AlwaysReady(StreamPipeline):
    """Accepts a beat even while stalled, when its stage cannot take it: the beat is lost."""
    latency = 2

    def __init__(self):
        super().__init__(unsigned(8), unsigned(8))

    def datapath(self, m, x, reg):
        return reg(reg(x))

    def elaborate(self, platform):
        m = super().elaborate(platform)
        m.d.comb += self.i.ready.eq(1)
        return m


class OverfullLink(MatrixVectorLink):
    """The link FIFO's ready forced high: a beat offered while it is full is dropped."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        m.d.comb += self.i.ready.eq(1)
        return m


def counted(dut, capacity):
    return dut, [(dut.i, dut.o, dut.in_flight(), capacity)]


@pytest.mark.slow
def test_every_registered_proof_holds():
    """Every proof of ``baps-rtl prove`` (about a minute; CI's extras pass runs it)."""
    results = run_proofs(registered_proofs())
    assert {r.kind for r in results} == {"equivalence", "stream"}
    bad = [(r.name, r.detail) for r in results if not r.holds]
    assert not bad
    assert any("datapath" in r.name for r in results)


def test_equivalence_catches_one_wrong_code():
    assert equivalence_proof("ok", lambda: Exp2Code(in_format="hif8", out_format="hif8", impl="table"),
                             lambda: Exp2Code(in_format="hif8", out_format="hif8", impl="split")).holds
    assert not equivalence_proof("bug", lambda: Exp2Code(in_format="hif8", out_format="hif8", impl="table"),
                                 OneWrongCode).holds


@pytest.mark.parametrize("bug,capacity", [(LeakyOutput, 1), (AlwaysReady, 2)])
def test_the_stream_contract_catches_a_planted_bug(bug, capacity):
    assert not stream_proof(bug.__name__, lambda: counted(bug(), capacity)).holds


def test_the_link_count_catches_a_dropped_beat():
    """Depth 4 (a power of two, like the datapath's area configuration): with other depths the
    induction does not close within 8 steps (the FIFO's pointers reach unreachable states)."""
    def good():
        link = MatrixVectorLink(width=16, element="hif8", br=1, m_width=4, depth=4)
        return counted(link, 4)

    def bad():
        link = OverfullLink(width=16, element="hif8", br=1, m_width=4, depth=4)
        return counted(link, 4)

    assert stream_proof("link", good).holds
    assert not stream_proof("overfull link", bad).holds


def test_prove_command_exits_0_and_names_unknown_designs(capsys):
    assert main(["prove", "exp2_hif8"]) == 0
    out = capsys.readouterr().out
    assert "exp2_hif8_table_hif8 ≡ exp2_hif8_split_hif8 | equivalence | yes" in out
    assert main(["prove", "exp2_nope"]) == 2
    assert "exp2_nope" in capsys.readouterr().err
