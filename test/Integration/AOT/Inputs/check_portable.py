# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Checks that a prepared GPU-check folder runs from where it is moved.

Usage: check_portable.py FOLDER BUILD_TREE

Moves FOLDER to a new temporary folder outside BUILD_TREE; then, for every
program in FOLDER/manifest: the dynamic loader resolves both
RingAttn runtime libraries to FOLDER (ldd), no RPATH or RUNPATH of a program
or library names BUILD_TREE, and the program, started without a CUDA driver,
gets as far as its "no usable GPU" error (exit 1, not the loader's 127).
Where the system allows a private mount namespace (unshare -rm), the
programs run with BUILD_TREE hidden under an empty tmpfs, so nothing can
come from it.
"""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

tree = os.path.realpath(sys.argv[2])
moved = tempfile.mkdtemp(prefix="gpu-check-moved-")
atexit.register(shutil.rmtree, moved, True)
folder = os.path.join(os.path.realpath(moved), "gpu-check")
shutil.move(sys.argv[1], folder)
if folder.startswith(tree + os.sep):
    sys.exit(f"the temporary folder {folder} lies in the build tree {tree}")
failures = []


def dynamic_paths(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]",
                      out)


def hidden_tree_runner():
    """A command prefix that runs with BUILD_TREE hidden, or None."""
    probe = ["unshare", "-rm", "sh", "-c",
             f"mount -t tmpfs none '{tree}' && test ! -e '{tree}/bin'"]
    try:
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return lambda command: ["unshare", "-rm", "sh", "-c",
                                    f"mount -t tmpfs none '{tree}' && exec \"$@\"",
                                    "sh"] + command
    except FileNotFoundError:
        pass
    return None


hide = hidden_tree_runner()
print("build tree hidden while running:", "yes" if hide else
      "no (no private mount namespace here; ldd and readelf checks only)")

for library in ("libRingAttnRuntime.so", "libRingAttnRuntimeGPU.so"):
    for entry in dynamic_paths(os.path.join(folder, library)):
        if tree in entry:
            failures.append(f"{library}: run path {entry} names the build tree")

env = dict(os.environ, RINGATTN_CUDA_DRIVER="/nonexistent/libcuda.so.1")
env.pop("LD_LIBRARY_PATH", None)
for line in open(os.path.join(folder, "manifest")):
    name, *args = line.split()
    program = os.path.join(folder, name)
    for entry in dynamic_paths(program):
        if tree in entry:
            failures.append(f"{name}: run path {entry} names the build tree")
    ldd = subprocess.run(["ldd", program], capture_output=True, text=True,
                         env=env).stdout
    for library in ("libRingAttnRuntime.so", "libRingAttnRuntimeGPU.so"):
        found = re.search(rf"{re.escape(library)} => (\S+)", ldd)
        where = os.path.dirname(os.path.realpath(found.group(1))) if (
            found and found.group(1) != "not") else None
        if where != folder:
            failures.append(f"{name}: {library} resolves to {where}, not {folder}")
    command = [program] + args + ["--check", "--repeat", "1"]
    run = subprocess.run(hide(command) if hide else command,
                         capture_output=True, text=True, env=env, timeout=60)
    stderr = run.stderr.strip().splitlines()
    last = stderr[-1] if stderr else ""
    print(f"{name}: exit {run.returncode}: {last}")
    if run.returncode != 1 or "no usable GPU" not in last:
        failures.append(f"{name}: exit {run.returncode}, {last!r}")

for failure in failures:
    print("FAIL:", failure)
print("portable" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
