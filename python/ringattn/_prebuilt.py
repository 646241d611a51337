"""Modules of the op built ahead of time: their names, and building and
finding them. `python -m ringattn.aot` (aot.py) is the command; the op
(_op.py) looks in $RINGATTN_AOT_DIR before it compiles.
"""

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from . import _native

LLVM_BIN = Path("/usr/lib/llvm-22/bin")


def object_name(source, pipeline):
    digest = hashlib.sha256(f"{pipeline}\n{source}".encode()).hexdigest()
    return f"ringattn-{digest[:24]}.so"


def find(source, pipeline):
    """The loaded module built for `source` and `pipeline` in
    $RINGATTN_AOT_DIR, or None."""
    directory = os.environ.get("RINGATTN_AOT_DIR")
    if not directory:
        return None
    path = Path(directory) / object_name(source, pipeline)
    return _native.LoadedModule(path) if path.exists() else None


def _run(command, what, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise _native.RingAttnError(
            f"{what} failed ({' '.join(map(str, command))}): "
            f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def build(source, pipeline, directory, ring_opt):
    """Compiles `source` with `pipeline` into `directory`; returns the
    object's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / object_name(source, pipeline)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "module.mlir").write_text(source)
        _run([ring_opt, scratch / "module.mlir", f"--pass-pipeline="
              f"builtin.module({pipeline})", "-o", scratch / "module.ll.mlir"],
             "lowering")
        _run([LLVM_BIN / "mlir-translate", "--mlir-to-llvmir",
              scratch / "module.ll.mlir", "-o", scratch / "module.ll"],
             "translating to LLVM IR")
        _run([LLVM_BIN / "llc", "-O3", "-filetype=obj",
              "-relocation-model=pic", scratch / "module.ll", "-o",
              scratch / "module.o"], "compiling")
        link = ["c++", "-shared", scratch / "module.o", "-o", target]
        if "ring-lower-cpu" in pipeline:
            # Strided copies (zigzag chunks) call MLIR's memrefCopy.
            lib = LLVM_BIN.parent / "lib"
            link += [f"-L{lib}", "-lmlir_c_runner_utils", f"-Wl,-rpath,{lib}"]
        _run(link, "linking")
    return target
