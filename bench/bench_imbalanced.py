"""Imbalanced classes: macro-F1 and accuracy with and without class weighting, on two generated sets.

    .venv/bin/python bench/bench_imbalanced.py                      # both sets, none vs weighted
    .venv/bin/python bench/bench_imbalanced.py --modes none,weighted,sampling --epochs 3

- ``binary-95-5``: the demo's support tickets as "billing" vs "other", the billing rows cut to 5 %
  (real texts from examples/support_tickets.csv; 26 billing rows among 514).
- ``longtail-10``: ten generated topics whose row counts fall geometrically (150 ... 8 rows, 19x):
  sentences of two topic words, one word of another topic and filler words.

Each run trains the bundled MiniLM with the ``fast`` preset on the same stratified split (seed 42);
only ``class_weighting`` differs. Prints one line per run and the weighted - none difference.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tuneboard  # noqa: E402,F401  (sets the OpenMP wait policy before torch loads)

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOPICS = {
    "billing": "invoice charge refund payment card receipt price bill",
    "shipping": "parcel courier delivery tracking package warehouse shipment postage",
    "login": "password login username account locked verification code reset",
    "app": "app crash screen freeze update button loading notification",
    "device": "sensor battery bulb thermostat plug camera hub firmware",
    "plan": "subscription plan upgrade downgrade premium tier renewal trial",
    "privacy": "privacy data consent delete gdpr personal cookies tracking",
    "wifi": "wifi router network signal bluetooth pairing offline connection",
    "feedback": "suggestion idea feature love wish improve request feedback",
    "returns": "return exchange warranty broken damaged replacement label faulty",
}
FILLER = "the my i it is was and to not please help with for of you hello hi thanks today again still".split()


def binary_95_5(work: Path) -> Path:
    import pandas as pd

    d = pd.read_csv(ROOT / "examples" / "support_tickets.csv")
    other = d[d.intent != "billing"].assign(label="other")
    billing = d[d.intent == "billing"].sample(n=round(len(other) * 5 / 95), random_state=0).assign(label="billing")
    path = work / "binary-95-5.csv"
    pd.concat([other, billing]).rename(columns={"message": "text"})[["text", "label"]].to_csv(path, index=False)
    return path


def longtail_10(work: Path) -> Path:
    import pandas as pd

    rng, rows, names = random.Random(7), [], list(TOPICS)
    for k, name in enumerate(names):
        for _ in range(max(8, round(150 * 0.65 ** k))):
            own = rng.sample(TOPICS[name].split(), 2)
            other = rng.choice(TOPICS[rng.choice([n for n in names if n != name])].split())
            words = own + [other] + rng.sample(FILLER, 5)
            rng.shuffle(words)
            rows.append((" ".join(words), name))
    path = work / "longtail-10.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return path


def train(path: Path, mode: str, epochs: int) -> dict:
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    cfg = TrainConfig(data=str(path), text_column="text", label_column="label", preset="fast", epochs=epochs,
                      class_weighting=mode, early_stopping_patience=0)
    t0 = time.perf_counter()
    m = execute(cfg).metrics
    recall = {k: v["recall"] for k, v in m["per_class"].items()}
    return {"set": path.stem, "mode": mode, "used": m.get("class_weighting"), "ratio": m.get("imbalance_ratio"),
            "macro_f1": m["macro_f1"], "accuracy": m["accuracy"], "min_recall": min(recall.values()),
            "n_train": m["n_train"], "n_val": m["n_val"], "wall_s": time.perf_counter() - t0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="none,weighted")
    ap.add_argument("--sets", default="binary-95-5,longtail-10")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tuneboard-imbalanced-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = str(work / "runs")
    makers = {"binary-95-5": binary_95_5, "longtail-10": longtail_10}
    results = []
    for name in args.sets.split(","):
        path = makers[name](work)
        for mode in args.modes.split(","):
            r = train(path, mode, args.epochs)
            results.append(r)
            print(f"{r['set']:<12} {mode:<9} (ratio {r['ratio']:.0f}x, {r['n_train']}/{r['n_val']} rows): "
                  f"macro-F1 {r['macro_f1']:.3f}  accuracy {r['accuracy']:.3f}  lowest class recall "
                  f"{r['min_recall']:.3f}  {r['wall_s']:.0f} s", flush=True)
        base = next((r for r in results if r["set"] == path.stem and r["mode"] == "none"), None)
        for r in (r for r in results if r["set"] == path.stem and r["mode"] != "none" and base):
            print(f"{r['set']:<12} {r['mode']} - none: macro-F1 {r['macro_f1'] - base['macro_f1']:+.3f}, "
                  f"accuracy {r['accuracy'] - base['accuracy']:+.3f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
