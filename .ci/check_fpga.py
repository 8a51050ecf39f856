"""CI check of a `baps-rtl fpga` result: every design has LUTs, FFs and an fmax after place and
route. Exit 1 naming the designs that do not."""

import json
import sys

path = sys.argv[1]
rows = json.load(open(path))
bad = [r["module"] for r in rows if not (r["lut"] > 0 and r["ff"] > 0 and r["fmax_mhz"])]
if not rows or bad:
    print(f"{path}: missing numbers for {bad or 'every design (empty result)'}")
    sys.exit(1)
print(f"{path}: {len(rows)} designs, each with LUTs, FFs and an fmax "
      f"({min(r['fmax_mhz'] for r in rows):.1f}–{max(r['fmax_mhz'] for r in rows):.1f} MHz)")
