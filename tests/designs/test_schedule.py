"""Jobs run longest first and results come back in the order given."""

from amaranth import Shape

from baps_rtl.designs import all_configs
from baps_rtl.designs.schedule import run_longest_first


def test_longest_first_and_results_in_order():
    configs = all_configs(which="regress")
    started = []

    def job(config):
        started.append(config)
        return config.module_name

    assert run_longest_first(configs, job, jobs=1) == [c.module_name for c in configs]
    # datapaths (long builds) first, then the exhaustive units by input width: the 2^16-input
    # FP16 units, the 8-bit units, the narrower score codes' EXP2 units (5 to 7 bits)
    datapaths = [c.design.hierarchical for c in started]
    assert datapaths == sorted(datapaths, reverse=True) and started[0].name.endswith("_datapath")
    widths = [Shape.cast(c.layouts()[0]).width for c in started if not c.design.hierarchical]
    assert widths == sorted(widths, reverse=True) and widths[0] == 16 and widths[-1] == 5
