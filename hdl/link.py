"""``MatrixVectorLink``: the matrix-to-vector score interface (``baps.md`` block 2)."""

from amaranth import Module, Signal
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from dataclasses import dataclass

from ..golden.baps import SCORE_FORMAT
from ..golden.formats import get_format
from ..golden.params import IntParam
from .beat_layouts import code_beat
from .pipeline import ArgumentsChecked

__all__ = ["MatrixVectorLink", "ELEMENTS", "LinkDepthParam", "LINK_DEPTH"]

ELEMENTS = {name: get_format(name).width for name in ("fp16", *SCORE_FORMAT.choices)}


@dataclass(frozen=True)
class LinkDepthParam(IntParam):
    """0 (a wire) or a FIFO depth of 3 or more: depths 1 and 2 are refused, measured in simulation
    to pass only one beat every two cycles."""

    @property
    def allowed(self) -> str:
        return f"0 (a wire) or {self.lo}..{self.hi} (a buffered FIFO of depth 1 or 2 halves the beat rate)"

    def check(self, value):
        if isinstance(value, int) and not isinstance(value, bool) and value == 0:
            return value
        return super().check(value)


LINK_DEPTH = LinkDepthParam("link_depth", 3, 1024, "FIFO depth of the link (0: a wire)", 0)


class MatrixVectorLink(ArgumentsChecked, wiring.Component):
    """A valid/ready stream of ``width``-bit beats: ⌊W / bits(element)⌋ score codes packed densely
    (W/8 HiF8, W/16 FP16, ⌊64/6⌋ = 10 six-bit codes in a 64-bit beat: the W mod bits
    ``padding_bits`` carry nothing and are not built) plus framing (row, first/last block,
    first/last beat) and the side band (shift; none with ``m_width=None``); or, with ``layout``,
    beats of that layout (the int8 datapaths' ``fixed_link_beat``). ``depth`` = 0 is a wire; ``depth`` ≥ 3 inserts a buffered FIFO of that depth
    (``amaranth.lib.fifo.SyncFIFOBuffered``: registered output, one beat per cycle; depths 1 and
    2 are refused: measured in simulation, they pass only one beat every two cycles)."""

    @classmethod
    def check_arguments(cls, *, width, element, br, m_width, depth, layout):
        element = getattr(element, "name", element)     # a format's name, or the format
        if layout is None:                  # else: the beat layout of another datapath's link
            if element not in ELEMENTS:
                raise ValueError(f"element={element!r} is not allowed; allowed: "
                                 f"{', '.join(ELEMENTS)}")
            bits = ELEMENTS[element]
            if not isinstance(width, int) or isinstance(width, bool) or width < bits:
                raise ValueError(f"width={width!r} is not allowed for {element}; allowed: "
                                 f"integers ≥ {bits} (one {bits}-bit code or more)")
        LINK_DEPTH.check(depth)

    def __init__(self, *, width: int = 64, element="hif8", br: int = 4,
                 m_width: int | None = 16, depth: int = 0, layout=None):
        element = getattr(element, "name", element) if layout is None else None
        self.width, self.element, self.depth = width, element, depth
        if layout is None:
            bits = ELEMENTS[element]
            self.elements = width // bits
            self.padding_bits = width - self.elements * bits
            layout = code_beat(self.elements, bits, br, m_width)
        super().__init__({"i": In(stream.Signature(layout)), "o": Out(stream.Signature(layout))})
        self._in_flight = None

    def in_flight(self) -> Signal:
        """The number of beats held (the FIFO's level), for the formal stream proofs: not a
        port, and built only when asked for before elaboration (the netlist is unchanged)."""
        if self._in_flight is None:
            self._in_flight = Signal(range(self.depth + 1), name="in_flight")
        return self._in_flight

    def elaborate(self, platform):
        m = Module()
        if self.depth == 0:
            wiring.connect(m, wiring.flipped(self.i), wiring.flipped(self.o))
            return m
        width = data.Layout.cast(self.i.payload.shape()).size
        m.submodules.fifo = q = fifo.SyncFIFOBuffered(width=width, depth=self.depth)
        if self._in_flight is not None:
            m.d.comb += self._in_flight.eq(q.level)
        m.d.comb += [
            q.w_data.eq(self.i.payload.as_value()), q.w_en.eq(self.i.valid),
            self.i.ready.eq(q.w_rdy),
            self.o.payload.eq(q.r_data), self.o.valid.eq(q.r_rdy), q.r_en.eq(self.o.ready),
        ]
        return m
