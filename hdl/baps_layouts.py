"""Beat layouts of the BAPS datapath streams, as data (``amaranth.lib.data``).

Stream order is block-major (``docs/spec/baps.md``): for each key block, for each row of the
tile, the row's ``bc`` scores in ``bc / lanes`` consecutive beats.
"""

from amaranth import signed, unsigned
from amaranth.lib import data

__all__ = ["score_beat", "code_beat", "prob_beat", "norm_beat", "row_bits", "shift_shape"]


def row_bits(br: int) -> int:
    return max(1, (br - 1).bit_length())


def shift_shape(m_width: int):
    """m_old − m_new ∈ [−(2^m_width − 1), 0]."""
    return signed(m_width + 1)


def score_beat(lanes: int, br: int) -> data.StructLayout:
    """Matrix-core output: ``lanes`` FP32 scores (bit patterns) of one row and block."""
    return data.StructLayout({
        "scores": data.ArrayLayout(32, lanes),
        "row": unsigned(row_bits(br)),
        "first_block": unsigned(1),      # the row's first key block: the running max restarts
        "last_block": unsigned(1),       # the row's last key block: the row ends with it
    })


def code_beat(elements: int, elem_bits: int, br: int, m_width: int | None) -> data.StructLayout:
    """One link beat: ``elements`` score codes plus framing and the per-row side band (none when
    ``m_width`` is None: the FP16 datapath's vector side owns the max)."""
    fields = {"codes": data.ArrayLayout(elem_bits, elements), "row": unsigned(row_bits(br))}
    if m_width is not None:
        fields["shift"] = shift_shape(m_width)   # m_old − m_new, 0 on the first block
    return data.StructLayout({
        **fields,
        "first_block": unsigned(1),
        "last_block": unsigned(1),
        "first_beat": unsigned(1),       # first beat of this row's block
        "last_beat": unsigned(1),        # last beat of this row's block
    })


def prob_beat(lanes: int, br: int, p_bits: int = 8) -> data.StructLayout:
    """Vector-core output: ``lanes`` P codes (``p_bits`` wide: HiF8) for P·V; at a row's end also
    l (FP32)."""
    return data.StructLayout({
        "p": data.ArrayLayout(p_bits, lanes),
        "row": unsigned(row_bits(br)),
        "first_block": unsigned(1),
        "last_block": unsigned(1),
        "last_beat": unsigned(1),
        "end_of_row": unsigned(1),       # last beat of the row's last block: ``l`` is valid
        "l": unsigned(32),               # FP32 bit pattern of the row sum
    })


def norm_beat(lanes: int, br: int, p_bits: int = 8) -> data.StructLayout:
    """Output of the row-normalizing datapaths (Softermax, HCCS): ``lanes`` normalized
    probabilities (unsigned ``p_bits``-bit fixed point) with the input's framing; no row sum
    (the outputs are already divided by it)."""
    return data.StructLayout({
        "p": data.ArrayLayout(p_bits, lanes),
        "row": unsigned(row_bits(br)),
        "first_block": unsigned(1),
        "last_block": unsigned(1),
        "last_beat": unsigned(1),
        "end_of_row": unsigned(1),
    })
