"""Jobs run longest first and results come back in the order given."""

from baps_rtl.designs import all_configs
from baps_rtl.designs.schedule import run_longest_first


def test_longest_first_and_results_in_order():
    configs = all_configs(which="regress")
    started = []

    def job(config):
        started.append(config.name)
        return config.module_name

    assert run_longest_first(configs, job, jobs=1) == [c.module_name for c in configs]
    # datapaths (long builds) first, then the 2^16-input FP16 units, then the 8-bit units
    order = {"baps_datapath": 0, "fp16_datapath": 0, "softermax_datapath": 0, "hccs_datapath": 0,
             "e4m3_pcast_datapath": 0,
             "exp2_fp16": 1, "exp2_hif8": 2}
    assert [order[n] for n in started] == sorted(order[c.name] for c in configs)
    assert started[0].endswith("_datapath") and started[-1] == "exp2_hif8"
