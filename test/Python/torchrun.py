"""torchrun for a lit test: `torchrun.py N script [args...]`.

Runs `python -m torch.distributed.run --standalone --nproc-per-node N` and
copies what the workers and torchrun print (stdout and stderr together) to
stdout, for FileCheck. The RUN line pipes only stdout, so when torchrun
fails after every check has matched (a worker that crashed on its way out),
lit would show nothing; this also writes torchrun's exit status and the end
of its output to stderr, which lit shows, and exits with that status.
Workers print a Python traceback on a fatal signal (PYTHONFAULTHANDLER).
"""

import os
import subprocess
import sys

TAIL_LINES = 80


def main():
    ranks, script = sys.argv[1], sys.argv[2:]
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    finished = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         "--nproc-per-node", ranks] + script,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    sys.stdout.buffer.write(finished.stdout)
    sys.stdout.flush()
    if finished.returncode != 0:
        tail = finished.stdout.decode(errors="replace").splitlines()
        sys.stderr.write(
            f"torchrun exited with status {finished.returncode}; the last "
            f"{min(len(tail), TAIL_LINES)} lines it and the workers "
            "printed:\n" + "\n".join(tail[-TAIL_LINES:]) + "\n")
    return finished.returncode


if __name__ == "__main__":
    sys.exit(main())
