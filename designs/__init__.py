"""The design registry (``registry``) and one module per design family, each registering itself."""

from . import exp2, baps, fp16_datapath, softermax, hccs, e4m3_pcast  # noqa: F401, I001  (registration, in listing order)
from .registry import DESIGNS, Config, Design, all_configs, get_design, parse_params  # noqa: F401
