"""What one key press on the Label page costs the engine: a label written (BEGIN IMMEDIATE, fsync) and the
table's agreed labels read back, on a store that already holds N labels.

    python bench/bench_label_store.py [--labels 1000] [--presses 200]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--labels", type=int, default=1000)
    p.add_argument("--presses", type=int, default=200)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUNEBOARD_RUNS_DIR"] = str(Path(tmp) / "runs")
        from tuneboard.labeling import LabelClass, LabelStore
        from tuneboard.team import LOCAL

        store = LabelStore.open("ab" * 32)
        store.set_classes([LabelClass("1", "a"), LabelClass("2", "b"), LabelClass("3", "c")], user=LOCAL)
        store.record_many([(i, str(1 + i % 3)) for i in range(args.labels)], user=LOCAL, source="person")
        times = []
        for i in range(args.presses):
            start = time.perf_counter()
            store.record(args.labels + i, "a", user=LOCAL, source="person")
            store.current()
            store.classes()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{args.labels} labels on record: write + read back per key press p50 {times[len(times) // 2]:.1f} ms, "
              f"p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
