"""The op's modules compiled ahead of time, for processes that do not JIT.

A process that calls ringattn.attention compiles each configuration with
libRingAttnCompiler.so, which needs LLVM 22 where it runs. Where that is
missing (the GPU machines this project borrows have CUDA and PyTorch, not
LLVM), build the configurations beforehand with RingAttn's tools and point
$RINGATTN_AOT_DIR at the folder: the op then loads a configuration's shared
object from there instead of compiling it.

    python -m ringattn.aot --out DIR --dtype bf16 --batch 1 --heads 8 \\
        --kv-heads 2 --length 256 --head-dim 128 --causal --layout zigzag \\
        --ranks 4 --gpu sm_90

--length is each rank's, as the op sees it; --scale defaults to the op's,
1/sqrt(head_dim); --window-left, --window-right and --softcap are the op's
masks, --sinks builds the module that takes attention sinks,
--documents M the one that takes M document starts and --placement P the
one laid out by a placement of P blocks (in place of --layout). Each object is named by a digest of its module and
pipeline, so a file is found only by the configuration it was built for.
It leaves the runtime's symbols undefined: they resolve in the runtimes the
package has loaded, so there is one runtime in the process.
"""

import argparse
import math
import sys
from pathlib import Path

from . import _native, _op, _prebuilt


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ringattn.aot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--dtype", choices=sorted(_op.ELEMENT_TYPE_NAMES),
                        default="bf16")
    for name in ("batch", "heads", "kv-heads", "length", "head-dim"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--window-left", type=int)
    parser.add_argument("--window-right", type=int)
    parser.add_argument("--softcap", type=float)
    parser.add_argument("--sinks", action="store_true",
                        help="the op is called with sinks=")
    parser.add_argument("--documents", type=int, default=0, metavar="M",
                        help="the op is called with documents= of M starts")
    parser.add_argument("--placement", type=int, default=0, metavar="P",
                        help="the op is called with a placement of P blocks "
                             "as its layout")
    parser.add_argument("--scale", type=float)
    parser.add_argument("--layout", default="contiguous")
    parser.add_argument("--ranks", type=int, default=1)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--gpu", metavar="CHIP",
                       help="for CUDA tensors on a GPU of this chip (sm_90)")
    where.add_argument("--target-cpu", default="",
                       help="for CPU tensors, code for this CPU (default: "
                            "this host's), as $RINGATTN_TARGET_CPU")
    parser.add_argument("--ring-opt", default=str(
        Path(__file__).resolve().parents[2] / "build" / "bin" / "ring-opt"))
    args = parser.parse_args(argv)
    scale = args.scale if args.scale is not None else \
        1.0 / math.sqrt(args.head_dim)
    try:
        causal, window_left, window_right, softcap = _op.check_mask(
            args.causal, args.window_left, args.window_right, args.softcap)
    except ValueError as error:
        parser.error(str(error))
    config = _op.Config(args.batch, args.heads, args.kv_heads, args.length,
                        args.head_dim, args.dtype, causal, float(scale),
                        args.layout, args.ranks, window_left, window_right,
                        softcap, args.sinks, args.documents, args.placement)
    pipeline = (_op.gpu_pipeline(args.gpu) if args.gpu else
                _op.cpu_pipeline(args.target_cpu))
    try:
        path = _prebuilt.build(_op.module_source(config), pipeline, args.out,
                               args.ring_opt)
    except (_native.RingAttnError, OSError) as error:
        print(f"python -m ringattn.aot: {error}", file=sys.stderr)
        return 1
    print(f"{path}: {config.describe()} with {pipeline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
