#!/usr/bin/env python3
"""Print N test sentences drawn at random (seeded, not hand-picked) with their reference and
the model's translation, as a Markdown table for the README.

    python3 benchmarks/translation/sample_examples.py zh-en.test.src.txt zh-en.test.ref.txt zh-en.test.hyp.txt --n 10 --seed 1
"""
import argparse
import random

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("src")
ap.add_argument("ref")
ap.add_argument("hyp")
ap.add_argument("--n", type=int, default=10)
ap.add_argument("--seed", type=int, default=1)
args = ap.parse_args()
rows = [open(p, encoding="utf-8").read().rstrip("\n").split("\n") for p in (args.src, args.ref, args.hyp)]
assert len(set(map(len, rows))) == 1, "the three files must have the same number of lines"
picked = sorted(random.Random(args.seed).sample(range(len(rows[0])), args.n))
print("| # | source | reference | Wordsmith |")
print("| --- | --- | --- | --- |")
for i in picked:
    print(f"| {i + 1} | {rows[0][i]} | {rows[1][i]} | {rows[2][i]} |")
