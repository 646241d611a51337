# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""int32_npy.py OUT.npy V0,V1,...: writes a 1-D int32 .npy file (version 1,
the header padded to 64 bytes as NumPy writes it), without NumPy."""
import struct
import sys

values = [int(v) for v in sys.argv[2].split(",")]
header = ("{'descr': '<i4', 'fortran_order': False, 'shape': (%d,), }"
          % len(values))
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(sys.argv[1], "wb") as out:
    out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
    out.write(header.encode("latin1"))
    out.write(struct.pack("<%di" % len(values), *values))
