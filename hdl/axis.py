"""AXI4-Stream ports around any component with an Amaranth stream in (``i``) and out (``o``).

Ports (no Amaranth names): ``aclk``, ``aresetn`` (active low, synchronous: the design's reset),
``s_axis_tdata/tvalid/tready/tuser`` in and ``m_axis_tdata/tvalid/tready/tlast/tuser`` out. The beat's numbers (the fields ``DATA_FIELDS``: scores in; P codes and l out) go in
``tdata``, packed from bit 0 in the beat's field order and zero-padded to whole bytes; every
other field (the framing: row, first/last block, end of row; HCCS's per-row side band) goes in
``tuser``, packed the same way. ``m_axis_tlast`` is the output framing's ``last_beat`` (the last
beat of a row's key block). The input's ``s_axis_tlast`` (the same mark) is not a port here: the
datapath counts a block's beats itself; the SystemVerilog top of ``designs.axis`` takes it.
``AxisWrapper.map`` is the exact
bit map, which the sidecar of ``designs.axis`` documents. Latency and throughput are the
wrapped design's: the wrapper adds wires only.
"""

from __future__ import annotations

from amaranth import ClockDomain, Module
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["AxisWrapper", "DATA_FIELDS", "TLAST_FIELD", "axis_map"]

DATA_FIELDS = ("scores", "p", "l")
TLAST_FIELD = "frame.last_beat"


def _leaves(layout, prefix: str = "") -> list[tuple[str, int, int]]:
    """Every leaf field of ``layout``: (dotted name, bit offset, width); arrays stay whole."""
    rows = []
    for name, field in data.Layout.cast(layout):
        shape = field.shape
        if isinstance(shape, data.StructLayout):
            rows += [(n, field.offset + o, w) for n, o, w in _leaves(shape, f"{prefix}{name}.")]
        else:
            rows.append((f"{prefix}{name}", field.offset, data.Layout.cast(shape).size
                         if isinstance(shape, data.Layout) else shape.width))
    return rows


def axis_map(layout, tlast: str | None) -> dict:
    """Where each field of a beat ``layout`` goes: {"tdata": [...], "tuser": [...], "tlast":
    field or None}, each list of {"field", "beat_offset", "offset", "width"} (``offset`` in tdata
    or tuser), with "tdata_width" (whole bytes) and "tuser_width"."""
    out = {"tdata": [], "tuser": [], "tlast": None}
    at = {"tdata": 0, "tuser": 0}
    for name, offset, width in _leaves(layout):
        if name == tlast:
            out["tlast"] = {"field": name, "beat_offset": offset, "width": 1}
            continue
        port = "tdata" if name.split(".")[0] in DATA_FIELDS else "tuser"
        out[port].append({"field": name, "beat_offset": offset, "offset": at[port],
                          "width": width})
        at[port] += width
    out["tdata_width"] = max(8, -(-at["tdata"] // 8) * 8)
    out["tuser_width"] = max(1, at["tuser"])
    return out


class AxisWrapper(wiring.Component):
    """``inner`` with AXI4-Stream ports (module docstring). ``latency`` is ``inner``'s."""

    def __init__(self, inner: wiring.Component):
        self.inner = inner
        self.latency = getattr(inner, "latency", None)
        self.timing = getattr(inner, "timing", None)
        self.map = {"s_axis": axis_map(inner.i.payload.shape(), None),
                    "m_axis": axis_map(inner.o.payload.shape(), TLAST_FIELD)}
        ports = {"aclk": In(1), "aresetn": In(1)}
        for side, flow, back in (("s_axis", In, Out), ("m_axis", Out, In)):
            ports |= {f"{side}_tdata": flow(self.map[side]["tdata_width"]),
                      f"{side}_tvalid": flow(1), f"{side}_tready": back(1),
                      **({f"{side}_tlast": flow(1)} if side == "m_axis" else {}),
                      f"{side}_tuser": flow(self.map[side]["tuser_width"])}
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = sync = ClockDomain("sync", local=True)
        m.d.comb += [sync.clk.eq(self.aclk), sync.rst.eq(~self.aresetn)]
        m.submodules.core = core = self.inner
        beat_in, beat_out = core.i.payload.as_value(), core.o.payload.as_value()
        s, o = self.map["s_axis"], self.map["m_axis"]
        for port, signal in (("tdata", self.s_axis_tdata), ("tuser", self.s_axis_tuser)):
            for f in s[port]:
                m.d.comb += beat_in[f["beat_offset"]:f["beat_offset"] + f["width"]].eq(
                    signal[f["offset"]:f["offset"] + f["width"]])
        for port, signal in (("tdata", self.m_axis_tdata), ("tuser", self.m_axis_tuser)):
            for f in o[port]:
                m.d.comb += signal[f["offset"]:f["offset"] + f["width"]].eq(
                    beat_out[f["beat_offset"]:f["beat_offset"] + f["width"]])
        m.d.comb += [
            core.i.valid.eq(self.s_axis_tvalid), self.s_axis_tready.eq(core.i.ready),
            self.m_axis_tvalid.eq(core.o.valid), core.o.ready.eq(self.m_axis_tready),
            self.m_axis_tlast.eq(beat_out[o["tlast"]["beat_offset"]]),
        ]
        return m
