#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""make-corpus.py OUT: seed corpora for the fuzzers, made from the tests.

OUT/ir      every test/**/*.mlir (and .mlir.in), split at `// -----` as
            -split-input-file splits it
OUT/options the argument lists of the RUN lines that call ring-run, NUL
            separated (%s and %t replaced by plausible paths)
OUT/npy     small .npy files: each dtype, version 1 and 2, a scalar, 1-D
            and 4-D shapes, numpy's spacing variants

Deterministic: the same tests give the same files (named by content hash).
"""
import hashlib
import os
import shlex
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def save(directory, data):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


def test_files(suffixes):
    for top, _, files in os.walk(os.path.join(ROOT, "test")):
        for name in sorted(files):
            if name.endswith(suffixes):
                yield os.path.join(top, name)


def ir_seeds(out):
    for path in test_files((".mlir", ".mlir.in")):
        text = open(path, encoding="utf-8", errors="replace").read()
        for chunk in text.split("// -----"):
            save(out, chunk.encode())


def options_seeds(out):
    for path in test_files((".mlir", ".test")):
        for line in open(path, encoding="utf-8", errors="replace"):
            if "RUN:" not in line or "ring-run" not in line:
                continue
            command = line.split("RUN:", 1)[1].split("|")[0].split(">")[0]
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if "ring-run" not in words:
                continue
            args = words[words.index("ring-run") + 1:]
            args = [a.replace("%s", "/tmp/in.mlir").replace("%t", "/tmp/t")
                    .replace("%S", "/tmp") for a in args]
            save(out, b"\0".join(a.encode() for a in args))


def npy(dtype, shape, version=1, data=None, spacing=", "):
    dims = spacing.join(str(d) for d in shape)
    if len(shape) == 1:
        dims += ","
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, dims)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H" if version == 1 else "<I", len(header))
    count = 1
    for d in shape:
        count *= d
    if data is None:
        data = bytes(range(256)) * (count * int(dtype[2]) // 256 + 1)
        data = data[:count * int(dtype[2])]
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + data


def npy_seeds(out):
    for dtype in ("<f4", "<f2"):
        save(out, npy(dtype, [3]))
        save(out, npy(dtype, [1, 2, 3, 4]))
        save(out, npy(dtype, [2, 3], version=2))
        save(out, npy(dtype, [], data=b"\0" * int(dtype[2])))
        save(out, npy(dtype, [2, 0, 3]))
    save(out, npy("<f4", [2, 3], spacing=","))
    quoted = b'{"descr": "<f4", "fortran_order": False, "shape": (2,)}'
    save(out, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(quoted)) +
         quoted + b"\0" * 8)


def main():
    out = sys.argv[1]
    ir_seeds(os.path.join(out, "ir"))
    options_seeds(os.path.join(out, "options"))
    npy_seeds(os.path.join(out, "npy"))
    for kind in ("ir", "options", "npy"):
        print(f"corpus {kind}: {len(os.listdir(os.path.join(out, kind)))} "
              "seeds")


if __name__ == "__main__":
    main()
