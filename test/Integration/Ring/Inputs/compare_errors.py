# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""compare_errors.py ONE.json MANY.json FACTOR [GRAD...]: the relative error
of the run on many ranks is at most FACTOR times that of the run on one rank:
the output's, or with GRAD names (dq dk dv) each of those gradients'."""
import json
import sys

one = json.load(open(sys.argv[1]))
many = json.load(open(sys.argv[2]))
factor = float(sys.argv[3])
keys = [f"{name}_rel_err" for name in sys.argv[4:]] or ["rel_err"]
assert one["passed"] and many["passed"], "a run failed its check"
assert one["query_len"] == many["query_len"], "different global shapes"
for key in keys:
    print(f"{key} {one['ranks']} rank(s): {one[key]:.3e}, "
          f"{many['ranks']} ranks: {many[key]:.3e}")
    if many[key] > factor * max(one[key], 1e-30):
        sys.exit(f"{key} grew from {one[key]:.3e} to {many[key]:.3e}")
