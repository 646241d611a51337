# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Prints ptxas's resource use of RingAttn's attention kernels.

Usage: ptxas_resources.py RING_OPT CHIP TYPE:D:MASK[:ring][:grad]...

For each TYPE (f32, f16, bf16), head_dim D and MASK (causal or full), builds
a one-device attention module (its block writes the final output, the
*_final kernels) or, with :ring, a ring of 2 (blocks write f32 partials),
with :grad adds its training step (and prints only the gradient kernels),
lowers it with ring-lower-nvvm to PTX
(format=isa), assembles that with `ptxas -v` for CHIP, and prints one line
per kernel: registers, spill stores and loads, stack and shared memory.
"""

import re
import subprocess
import sys

ring_opt, chip, configs = sys.argv[1], sys.argv[2], sys.argv[3:]


def module(element, d, causal, ring):
    t = f"tensor<1x4x512x{d}x{element}>"
    grid = "shard.grid @ring(shape = 2)\n" if ring else ""
    over = " ring @ring axis 0" if ring else ""
    return (f"{grid}func.func @attention(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
            f"  %o = ring.attention %q, %k, %v {'causal' if causal else ''}"
            f"{over} : {t}, {t}, {t}\n  return %o : {t}\n}}\n")


def ptx_of(lowered):
    """The PTX text of the module's gpu.binary (MLIR string escapes undone)."""
    raw = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', lowered).group(1)
    return re.sub(rb"\\([0-9A-Fa-f]{2}|\\|\")",
                  lambda m: bytes([int(m.group(1), 16)])
                  if len(m.group(1)) == 2 else m.group(1),
                  raw.encode())


for config in configs:
    element, d, mask, *flags = config.split(":")
    grad = "grad" in flags
    lowered = subprocess.run(
        [ring_opt, "-"] + (["-ring-add-training-steps"] if grad else []) +
        [f"-ring-lower-nvvm=chip={chip} format=isa"],
        input=module(element, d, mask == "causal", "ring" in flags),
        capture_output=True, text=True, check=True).stdout
    with open("kernels.ptx", "wb") as f:
        f.write(ptx_of(lowered))
    info = subprocess.run(["ptxas", "-v", f"-arch={chip}", "kernels.ptx",
                           "-o", "/dev/null"], capture_output=True, text=True,
                          check=True).stderr
    for name, body in re.findall(
            r"Compiling entry function '(\w+)' for '\w+'\n(.*?)(?=ptxas info"
            r"\s+: Compiling|\Z)", info, re.S):
        if not name.startswith("flash_attention_grad" if grad
                               else "flash_attention"):
            continue
        def number(what):
            found = re.search(r"(\d+) " + what, body)
            return int(found.group(1)) if found else 0
        print(f"{name}: {number('registers')} registers, "
              f"{number('bytes spill stores')} bytes spill stores, "
              f"{number('bytes spill loads')} bytes spill loads, "
              f"{number('bytes stack frame')} bytes stack, "
              f"{number('bytes smem')} bytes smem")
