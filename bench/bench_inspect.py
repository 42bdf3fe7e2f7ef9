"""Time and peak memory of inspecting a 1,000,000-row (~100 MB) CSV, as ``python -m tuneboard inspect`` does it.

Run: ``.venv/bin/python bench/bench_inspect.py [--rows N]``. The file is generated into a temporary
folder; the inspection runs in a child process so ``ru_maxrss`` of the children is its peak memory.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("my order never arrived please refund the charge on card account locked after password reset app "
         "crashes when I open settings invoice shows wrong amount cancel subscription delivery late again "
         "thanks for help hello team the parcel is damaged login fails with error code update broke sync").split()
LABELS = ["billing", "shipping", "account_access", "technical_issue", "cancellation", "refund", "other"]

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from tuneboard.data.health import inspect_file
report = inspect_file(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": report.rows_read, "usable": report.rows_usable,
                  "findings": len(report.findings)}))
"""


def make_file(path: Path, rows: int, seed: int = 0) -> None:
    """About 100 bytes a row: a 12-18 word message and one of seven labels."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("message,intent\n")
        for _ in range(rows):
            words = rng.choices(WORDS, k=rng.randint(12, 18))
            f.write(f"\"{' '.join(words)}\",{rng.choice(LABELS)}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        make_file(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=False)
        wall = time.perf_counter() - start
        if out.returncode:
            sys.exit(f"inspect failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
        cpu = usage.ru_utime + usage.ru_stime  # unlike wall time, barely changed by other jobs on the machine
        print(f"file: {args.rows:,} rows, {size_mb:.1f} MB")
        print(f"inspect (in-process, after imports): {out.stdout.strip()}")
        print(f"child process wall time incl. imports: {wall:.2f} s (CPU {cpu:.2f} s, "
              f"load average {os.getloadavg()[0]:.1f}); peak RSS: {peak_mb:.0f} MB")
        print(f"budget: <= 15 s and <= 2048 MB -> {'OK' if wall <= 15 and peak_mb <= 2048 else 'OVER'}")


if __name__ == "__main__":
    main()
