# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""float32 .npy files in plain Python (a fresh machine has no NumPy), for
the tests' independent references: they share this and nothing with the
compiler."""
import ast
import math
import struct
import sys


def write_npy(path, shape, values):
    header = ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"
              % (tuple(shape),))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as out:
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        out.write(header.encode("latin1"))
        out.write(struct.pack("<%df" % len(values), *values))


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    size_format, start = ("<H", 10) if data[6] == 1 else ("<I", 12)
    length = struct.unpack(size_format, data[8:start])[0]
    header = ast.literal_eval(data[start:start + length].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        sys.exit(f"{path}: expected C-ordered float32, got {header}")
    shape = header["shape"]
    count = math.prod(shape)
    values = struct.unpack_from("<%df" % count, data, start + length)
    return shape, values


def to_f32(values):
    """`values` rounded to float32, as the files hold them."""
    return list(struct.unpack("<%df" % len(values),
                              struct.pack("<%df" % len(values), *values)))
