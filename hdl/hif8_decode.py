"""Combinational HiF8 field decoder, generated from the format's row table (``HIF8.rows``)."""

from amaranth import C, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data

from ..golden.formats import HIF8

__all__ = ["HiF8Fields", "decode_hif8"]


class HiF8Fields(data.Struct):
    """Decoded HiF8 code: value = (−1)^sign · 2^exponent · sig/8 for finite non-zero codes.

    ``sig`` is the significand 1.M as a 4-bit integer (M left-aligned to 3 bits; 8 for
    denormals); ``zero``, ``nan``, ``inf`` flag the special codes.
    """

    sign: unsigned(1)
    exponent: signed(6)
    sig: unsigned(4)
    zero: unsigned(1)
    nan: unsigned(1)
    inf: unsigned(1)


def decode_hif8(m: Module, code) -> HiF8Fields:
    """Add the decoder for the 8-bit ``code`` to ``m`` and return its ``HiF8Fields`` view."""
    f = Signal(HiF8Fields)
    rest = code[:7]
    m.d.comb += f.sign.eq(code[7])
    with m.Switch(rest):
        for prefix, d, mb in HIF8.rows:
            with m.Case(prefix + "-" * (7 - len(prefix))):
                mant = rest[:mb]
                if d is None:               # denormal: 2^(M − 23); M = 0 is zero (or NaN)
                    m.d.comb += [
                        f.exponent.eq(mant - 23),
                        f.sig.eq(8),
                        f.zero.eq((mant == 0) & ~code[7]),
                        f.nan.eq((mant == 0) & code[7]),
                    ]
                    continue
                m.d.comb += f.sig.eq(8 | (mant << (3 - mb)))
                if d == 0:
                    m.d.comb += f.exponent.eq(0)
                else:
                    ebits = rest[mb:mb + d]
                    magnitude = Cat(ebits[:d - 1], C(1, 1)) if d > 1 else C(1, 1)
                    m.d.comb += f.exponent.eq(Mux(ebits[d - 1], -magnitude, magnitude))
    m.d.comb += f.inf.eq((code == HIF8.pos_inf_code) | (code == HIF8.neg_inf_code))
    return f

