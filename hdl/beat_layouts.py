"""Beat layouts of every datapath's streams, as data (``amaranth.lib.data``): the tile's score beat in,
the link beat, the P beat out (with l) and the normalized beat out.

Stream order is block-major (``docs/spec/baps.md``): for each key block, for each row of the
tile, the row's ``bc`` scores in ``bc / lanes`` consecutive beats.
"""

from amaranth import signed, unsigned
from amaranth.lib import data

__all__ = ["score_beat", "code_beat", "prob_beat", "norm_beat", "frame", "same_frame", "row_bits",
           "shift_shape", "FRAME"]

FRAME = "frame"
"""The field of every beat that holds its framing (``frame``)."""


def row_bits(br: int) -> int:
    return max(1, (br - 1).bit_length())


def shift_shape(m_width: int):
    """m_old − m_new ∈ [−(2^m_width − 1), 0]."""
    return signed(m_width + 1)


def frame(br: int, *flags: str, m_width: int | None = None) -> data.StructLayout:
    """A beat's framing, one struct: the row of the tile, whether the beat belongs to the row's
    first and last key block, and ``flags`` (``first_beat``, ``last_beat``: of the row's block;
    ``end_of_row``: the last beat of the row's last block). With ``m_width``, the row's side band
    ``shift`` = m_old − m_new rides in it, after the row (0 on the first block)."""
    side = {} if m_width is None else {"shift": shift_shape(m_width)}
    return data.StructLayout({"row": unsigned(row_bits(br)), **side, "first_block": unsigned(1),
                              "last_block": unsigned(1), **{f: unsigned(1) for f in flags}})


def score_beat(lanes: int, br: int) -> data.StructLayout:
    """Matrix-core output: ``lanes`` FP32 scores (bit patterns) of one row and block, framed by
    row and first/last block (the running max restarts on the first; the row ends with the
    last)."""
    return data.StructLayout({"scores": data.ArrayLayout(32, lanes), FRAME: frame(br)})


def code_beat(elements: int, elem_bits: int, br: int, m_width: int | None) -> data.StructLayout:
    """One link beat: ``elements`` score codes and the framing with the first/last beat of the
    row's block and the per-row side band ``shift`` (none when ``m_width`` is None: the FP16
    datapath's vector side owns the max)."""
    return data.StructLayout({"codes": data.ArrayLayout(elem_bits, elements),
                              FRAME: frame(br, "first_beat", "last_beat", m_width=m_width)})


def prob_beat(lanes: int, br: int, p_bits: int = 8) -> data.StructLayout:
    """Vector-core output: ``lanes`` P codes (``p_bits`` wide: HiF8) for P·V, the framing with
    the last beat of the block and the end of the row, and at a row's end l (FP32)."""
    return data.StructLayout({"p": data.ArrayLayout(p_bits, lanes),
                              FRAME: frame(br, "last_beat", "end_of_row"),
                              "l": unsigned(32)})


def norm_beat(lanes: int, br: int, p_bits: int = 8) -> data.StructLayout:
    """Output of the row-normalizing datapaths (Softermax, HCCS): ``lanes`` normalized
    probabilities (unsigned ``p_bits``-bit fixed point) with the framing of ``prob_beat``; no
    row sum (the outputs are already divided by it)."""
    return data.StructLayout({"p": data.ArrayLayout(p_bits, lanes),
                              FRAME: frame(br, "last_beat", "end_of_row")})


def same_frame(dst, src) -> list:
    """The assignments ``dst.f.eq(src.f)`` of every field of the framing view ``dst`` that
    ``src`` has too, in ``dst``'s order."""
    have = {name for name, _ in src.shape()}
    return [dst[name].eq(src[name]) for name, _ in dst.shape() if name in have]
