"""Time from Start to the first live point (<= 5 s on CPU), the way the app starts a run.

    .venv/bin/python bench/first_point.py [--rows 1000] [--warm]

The Train page's Start calls ``RunRegistry.submit`` (data read and checked in the server), and the
registry's worker thread runs ``training.execute`` in the same process. This script does the same in
a fresh process and prints when each event reached the run object (``LiveRun.record``, what the
page's fragment polls): the start event (the model is loaded) and the first training point. Cold:
torch and transformers not imported yet (a fresh server's first run); ``--warm``: imported already.
The run is stopped after its first point.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--warm", action="store_true", help="import torch and transformers before Start")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tuneboard-first-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = str(work / "runs")
    from whole_process import make_sentences

    from tuneboard.config import TrainConfig
    from tuneboard.train.queue import RunRegistry

    data = make_sentences(args.rows, 1, work / "train.csv")
    if args.warm:
        import transformers.models.bert.modeling_bert  # noqa: F401
    registry = RunRegistry()
    t0 = time.time()
    live = registry.submit(TrainConfig(data=str(data), epochs=2))
    seen: dict[str, float] = {}
    while "train" not in seen and time.time() - t0 < 300:
        for event in live.snapshot()["events"]:
            seen.setdefault(event["type"], time.time() - t0)
            if event["type"] == "phase":
                seen.setdefault(f"phase {event['name']}", event["time"] - t0)
        time.sleep(0.02)
    registry.stop(live.run_id)
    registry.wait(live.run_id, timeout=120)
    order = sorted(seen.items(), key=lambda kv: kv[1])
    print(f"{'warm' if args.warm else 'cold'}, load {os.getloadavg()[0]:.1f}: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in order))
    print(f"first live point {seen.get('train', float('nan')):.2f} s after Start (target <= 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
