"""Next-batch suggestion time on a 50,000-row pool once the table's embeddings are cached (target <= 2 s).

The pool: 50,000 generated English tickets (bench/labeling_data.py; repeats allowed). Its embeddings are put in
the cache as ``embed_table`` leaves them (one safetensors file, float16, 384 values a row as the bundled
MiniLM gives), but random: computing real ones takes about 40 minutes on 2 cores, and the time of a suggestion
does not depend on the values. Timed, end to end through ``suggest`` (which finds the cache by hashing every
text): 20 rows by ``uncertain`` with 200 and 2,000 labels, ``diverse`` and ``random``; and, as the baseline
measured in the same run, ``uncertain`` on TF-IDF features when no embeddings are cached.

    nice -n 10 python bench/bench_suggest.py
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["TUNEBOARD_RUNS_DIR"] = str(Path(tempfile.mkdtemp(prefix="tb-emb-")) / "runs")  # its cache beside

from labeling_data import english_tickets  # noqa: E402

from tuneboard.files import write_bytes_atomic  # noqa: E402
from tuneboard.labeling import cached_embeddings, suggest  # noqa: E402
from tuneboard.labeling.embeddings import cache_path, encoder_location  # noqa: E402

TARGET_S = 2.0


def timed(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", help="write the results as JSON here")
    args = p.parse_args()
    from safetensors.numpy import save

    texts, y = english_tickets(args.rows, distinct=False)
    location = encoder_location()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    write_bytes_atomic(cache_path(texts, location), save({"embeddings": vectors.astype(np.float16)}))
    assert cached_embeddings(texts) is not None
    out: dict[str, float] = {}
    for labeled in (200, 2000):
        rows = rng.choice(len(texts), size=labeled, replace=False)
        labels = {int(r): y[r] for r in rows}
        out[f"uncertain_{labeled}_labels_s"] = timed(args.repeats, lambda labels=labels: suggest(texts, labels, n=20))
    labels = {int(r): y[r] for r in rng.choice(len(texts), size=200, replace=False)}
    out["diverse_s"] = timed(args.repeats, lambda: suggest(texts, labels, n=20, strategy="diverse"))
    out["random_s"] = timed(args.repeats, lambda: suggest(texts, labels, n=20, strategy="random"))
    out["tfidf_uncertain_no_cache_s"] = timed(1, lambda: suggest(texts + [""], labels, n=20))  # another table: no cache
    for name, seconds in out.items():
        print(f"{name}: {seconds:.2f} s")
    base = out["tfidf_uncertain_no_cache_s"]
    print(f"uncertain, 200 labels, cached embeddings: {out['uncertain_200_labels_s']:.2f} s "
          f"({base / out['uncertain_200_labels_s']:.1f}x faster than TF-IDF without a cache; target <= {TARGET_S} s: "
          f"{'met' if out['uncertain_200_labels_s'] <= TARGET_S else 'missed'})")
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": len(texts), **out}, indent=1))


if __name__ == "__main__":
    main()
