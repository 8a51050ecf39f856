"""``Exp2HiF8``: p = 2^x for a HiF8 input x, output in FP16 (RNE) or HiF8 (TA), one per cycle."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned

from ..golden.exp2 import exp2_reference
from ..golden.exp2_tables import fraction_table, pow2_codes, small_codes
from ..golden.formats import HIF8, get_format
from ..golden.params import ChoiceParam
from . import codec
from .pipeline import StreamPipeline

__all__ = ["Exp2HiF8", "exp2_hif8_logic", "OUT_FORMATS", "IMPLS", "IMPL", "OUT_FORMAT"]

IMPL = ChoiceParam("impl", ("table", "split"), "truth table left to synthesis, or structured")
OUT_FORMAT = ChoiceParam("out_format", ("fp16", "hif8"), "format of 2^x (FP16 RNE, HiF8 TA)")
OUT_FORMATS, IMPLS = OUT_FORMAT.choices, IMPL.choices


class Exp2HiF8(StreamPipeline):
    """2^x of a HiF8 code, correctly rounded: FP16 (RNE) or HiF8 (TA, non-saturating).

    Total over all 256 codes: 2^NaN = NaN (0x7E00 / 0x80), 2^−Inf = +0, 2^+Inf = overflow = +Inf.
    Streams: ``i`` carries one HiF8 code per beat, ``o`` one FP16 or HiF8 code. Latency 1 cycle
    (registered output), one result per cycle.

    ``impl="table"``: a 256-entry truth table left to synthesis. ``impl="split"``: |x| ≥ 8 is an
    integer, so 2^x is a power of two built from the exponent alone; 1 ≤ |x| < 8 splits into integer
    part n (→ output exponent) and fraction k/8 (→ an 8-entry 2^f table, per HiF8 mantissa width
    when the output is HiF8); |x| < 1 uses a table of the codes whose result is not 1.0.
    """

    latency = 1

    def __init__(self, *, out_format: str = "fp16", impl: str = "table"):
        for param, value in ((OUT_FORMAT, out_format), (IMPL, impl)):
            try:
                param.check(value)
            except ValueError as exc:
                self.reject(str(exc))
        self._out_format = out_format
        self._impl = impl
        super().__init__(unsigned(8), unsigned(get_format(out_format).width))

    @property
    def out_format(self) -> str:
        return self._out_format

    @property
    def impl(self) -> str:
        return self._impl

    def datapath(self, m, payload, reg):
        return reg(exp2_hif8_logic(m, payload, out_format=self._out_format, impl=self._impl))


def exp2_hif8_logic(m: Module, code, *, out_format: str, impl: str) -> Signal:
    """The combinational 2^x of ``Exp2HiF8`` (shared with ``SoftmaxLanes``' lanes)."""
    result = Signal(get_format(out_format).width, name="exp2")
    if impl == "table":
        table = exp2_reference("hif8", out_format)
        with m.Switch(code):
            for c, out in enumerate(table):
                with m.Case(c):
                    m.d.comb += result.eq(int(out))
    else:
        _split(m, code, result, out_format)
    return result


# -- the split implementation ---------------------------------------------------------------------

def _split(m: Module, code, result, out_format: str):
    fmt = get_format(out_format)
    one = int(fmt.encode(1.0))
    pos_inf = fmt.overflow_code()
    f = codec.decode(m, HIF8, code)
    pow2 = pow2_codes(out_format)
    n_lo, n_hi = min(pow2), max(pow2)

    def pow2_code(n, mantissa=0):
        """Code of 2^n·(1 + mantissa/2^w); n outside the table saturates to +0 / +Inf."""
        out = Signal(fmt.width, name="pow2_code")
        with m.Switch(n):
            for k, c in pow2.items():
                with m.Case(k):
                    m.d.comb += out.eq(c + mantissa)
        with m.If(n < n_lo):
            m.d.comb += out.eq(0)
        with m.If(n > n_hi):
            m.d.comb += out.eq(pos_inf)
        return out

    # |x| ≥ 8: x is an integer; |x| ≥ 32 is out of range either way (clamped to 32).
    int_mag = Signal(range(64))
    with m.If(f.exponent >= 5):
        m.d.comb += int_mag.eq(32)
    with m.Else():
        m.d.comb += int_mag.eq(Mux(f.exponent == 4, f.sig << 1, f.sig))
    n_int = Signal(signed(7))
    m.d.comb += n_int.eq(Mux(f.sign, -int_mag, int_mag))
    int_code = pow2_code(n_int)

    # 1 ≤ |x| < 8: a = |x|·8 (6 bits); x = n + k/8.
    a = Signal(6)
    m.d.comb += a.eq(f.sig << f.exponent[:2])
    frac = a[:3]
    n_mid = Signal(signed(5))
    k = Signal(3)
    with m.If(~f.sign):
        m.d.comb += [n_mid.eq(a[3:]), k.eq(frac)]
    with m.Else():
        m.d.comb += [n_mid.eq(-a[3:] - (frac != 0)), k.eq(-frac)]
    mid_code = Signal(fmt.width)
    if out_format == "fp16":
        mant = Signal(11)   # carry and 10-bit mantissa as one offset from 2^n
        with m.Switch(k):
            for kk, (carry, mm) in enumerate(fraction_table("fp16", fmt.man_bits)):
                with m.Case(kk):
                    m.d.comb += mant.eq((carry << fmt.man_bits) | mm)
        m.d.comb += mid_code.eq(codec.ieee_code(fmt, n_mid, mant + (1 << fmt.man_bits), 1))
    else:
        with m.Switch(n_mid):
            for n in range(-8, 8):
                w = HIF8.mantissa_bits(n)
                with m.Case(n):
                    for kk, (carry, mm) in enumerate(fraction_table("hif8", w)):
                        with m.If(k == kk):
                            m.d.comb += mid_code.eq(pow2[n + carry] + mm)

    # 0 < |x| < 1: a table of the codes whose result is not 1.0.
    small_code = Signal(fmt.width)
    m.d.comb += small_code.eq(one)
    with m.Switch(code):
        for c, out in small_codes("hif8", out_format).items():
            with m.Case(c):
                m.d.comb += small_code.eq(out)

    with m.If(f.nan):
        m.d.comb += result.eq(fmt.nan_code)
    with m.Elif(f.inf):
        m.d.comb += result.eq(Mux(f.sign, 0, pos_inf))
    with m.Elif(f.zero):
        m.d.comb += result.eq(one)
    with m.Elif(f.exponent >= 3):
        m.d.comb += result.eq(int_code)
    with m.Elif(f.exponent >= 0):
        m.d.comb += result.eq(mid_code)
    with m.Else():
        m.d.comb += result.eq(small_code)
