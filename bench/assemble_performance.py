#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes docs/Performance.md from the pages the benchmarks generated
(docs/bench/*.md), so that the collected results and the pages never
disagree. bench/run all calls it last."""

import os
import re

from common import OUT, ROOT

INTRO = """# Performance

Every result of the benchmarks, collected from the pages they write under
[docs/bench/](bench/). Each was measured on the machine its section names,
with the command it names; `bench/run all` rebuilds what it needs, reruns
them all and rewrites this page. Benchmarks are not tests: the machines are
shared and noisy, so ratios are measured side by side in one run.

GPU: no GPU was available to the sessions so far; nothing here runs on one.
"""

PAGES = [("cpu-attention.md", "Single-device attention on one core"),
         ("ring.md", "Ring attention"),
         ("training.md", "The training step"),
         ("masks.md", "What masks save over the ring"),
         ("context.md", "Context length within a memory budget per rank"),
         ("peers.md", "Against the peers"),
         ("peers-training.md", "The training step against the peers"),
         ("torch.md", "The PyTorch op")]


def section(name, title):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return f"## {title}\n\nNot measured yet: run `bench/run`.\n"
    text = open(path).read()
    # Demote the page's headings one level and point images into bench/.
    text = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", text,
                  flags=re.M)
    text = re.sub(r"\]\(([\w.-]+\.png)\)", r"](bench/\1)", text)
    return text.replace("# ", f"# {title}: ", 1) + \
        f"\nSource: [bench/{name}](bench/{name}).\n"


def main():
    parts = [INTRO] + [section(name, title) for name, title in PAGES]
    with open(os.path.join(ROOT, "docs", "Performance.md"), "w") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    main()
