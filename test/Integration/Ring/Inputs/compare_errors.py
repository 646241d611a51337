# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""compare_errors.py ONE.json MANY.json FACTOR: the relative error of the run
on many ranks is at most FACTOR times that of the run on one rank."""
import json
import sys

one = json.load(open(sys.argv[1]))
many = json.load(open(sys.argv[2]))
factor = float(sys.argv[3])
assert one["passed"] and many["passed"], "a run failed its check"
assert one["query_len"] == many["query_len"], "different global shapes"
print(f"rel_err {one['ranks']} rank(s): {one['rel_err']:.3e}, "
      f"{many['ranks']} ranks: {many['rel_err']:.3e}")
if many["rel_err"] > factor * max(one["rel_err"], 1e-30):
    sys.exit(f"error grew from {one['rel_err']:.3e} to {many['rel_err']:.3e}")
