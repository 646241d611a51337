# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""poison_npy.py IN.npy OUT.npy VALUE: copies a float32 .npy file with its
first element replaced by VALUE (nan, inf, ...); the header is kept."""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
assert data[:6] == b"\x93NUMPY" and data[6] == 1, "a version 1 .npy file"
offset = 10 + int.from_bytes(data[8:10], "little")
data[offset:offset + 4] = struct.pack("<f", float(sys.argv[3]))
open(sys.argv[2], "wb").write(data)
