# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -*- Python -*-
# lit configuration for the RingAttn regression tests.

import os
import subprocess
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "RINGATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ringattn_obj_dir, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%ringattn_src", config.ringattn_src_dir))
config.substitutions.append(("%ringattn_obj", config.ringattn_obj_dir))
# The CUDA driver test double of unittests/Runtime: loads "FAKE" images only.
config.substitutions.append(
    ("%fake_cuda", os.path.join(config.ringattn_obj_dir, "unittests", "Runtime",
                                "libRingAttnFakeCuda.so")))

# The runtime ring-lower-cpu's code calls (RingRuntime.h), for mlir-runner.
config.substitutions.append(
    ("%ringattn_runtime", os.path.join(config.ringattn_obj_dir, "lib", "Runtime",
                                       "libRingAttnRuntime.so")))

# Runtime libraries of upstream mlir-runner, for tests that run lowered code.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(("%mlir_lib_dir", llvm_lib_dir))
config.substitutions.append(
    ("%mlir_runner_utils", os.path.join(llvm_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils", os.path.join(llvm_lib_dir, "libmlir_c_runner_utils.so")))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
# `not`, `count` and friends come from LLVM's tool directory.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.ringattn_tools_dir, config.llvm_tools_dir]
tools = [
    "ring-opt",
    "ring-run",
    "mlir-runner",
    "mlir-translate",
    "llc",
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The host's vector extensions: tests that force a CPU target run only
# where its code can execute (`REQUIRES: avx512`, `UNSUPPORTED: avx512`).
def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


cpu_flags = host_cpu_flags()
if {"avx2", "fma"} <= cpu_flags:
    config.available_features.add("avx2")
if "avx512f" in cpu_flags:
    config.available_features.add("avx512")
if "amx_tile" in cpu_flags:
    config.available_features.add("amx")

# Optional parts of the machine, so tests can say `REQUIRES: mpi` and so on.
if config.mpirun and os.path.exists(config.mpirun):
    config.available_features.add("mpi")
    # Several processes per core, and root in containers and CI.
    mpirun = [config.mpirun, "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        mpirun.append("--allow-run-as-root")
    config.substitutions.append(("%mpirun", " ".join(mpirun)))
if config.nvcc and os.path.exists(config.nvcc):
    config.available_features.add("cuda-toolkit")
    # ptxas, which the NVVM pipeline runs to embed machine code.
    llvm_config.with_environment("PATH", os.path.dirname(config.nvcc),
                                 append_path=True)


def has_gpu():
    if not config.nvidia_smi or not os.path.exists(config.nvidia_smi):
        return False
    try:
        return subprocess.run([config.nvidia_smi, "-L"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


if has_gpu():
    config.available_features.add("gpu")


def torch_python():
    """The Python with PyTorch and ringattn (scripts/torch-env.sh), or None."""
    python = os.environ.get("RINGATTN_TORCH_PYTHON") or os.path.join(
        config.ringattn_src_dir, ".venv-torch", "bin", "python")
    if not os.path.exists(python):
        return None
    try:
        found = subprocess.run([python, "-c", "import torch, ringattn"],
                               capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return python if found.returncode == 0 else None


torch_python = torch_python()
if torch_python:
    config.available_features.add("torch")
    config.substitutions.append(("%torch_python", torch_python))
    # torchrun --standalone (a free port per run, so the lit tests of the op
    # run side by side) --nproc-per-node N, through a wrapper that prints
    # torchrun's status and output to stderr when it fails.
    config.substitutions.append(
        ("%torchrun", torch_python + " " +
         os.path.join(config.test_source_root, "Python", "torchrun.py")))
    config.environment["OMP_NUM_THREADS"] = "1"
