"""The OpenMP busy-wait cliff on a shared 2-core machine (why tuneboard sets OMP_WAIT_POLICY=PASSIVE).

Times a forward+backward of a 32 x 48 batch through the tests' tiny BERT at 1 and 2 torch threads.
Run it while another process keeps one core busy, once with the default policy and once passive:

    yes > /dev/null &   # a busy neighbour
    OMP_WAIT_POLICY=ACTIVE  .venv/bin/python bench/bench_threads.py
    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/bench_threads.py
    kill %1

The policy must be set before torch loads, so this script does not import tuneboard.
"""
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402
from conftest import build_tiny_model  # noqa: E402
from transformers import AutoModelForSequenceClassification  # noqa: E402

folder = build_tiny_model(Path(tempfile.mkdtemp()) / "tiny")
model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=5)
batch = {"input_ids": torch.randint(5, 90, (32, 48)), "attention_mask": torch.ones(32, 48, dtype=torch.long),
         "labels": torch.randint(0, 5, (32,))}
for threads in (1, 2):
    torch.set_num_threads(threads)
    for _ in range(3):
        model(**batch).loss.backward()
    t = time.perf_counter()
    for _ in range(10):
        model(**batch).loss.backward()
    print(f"{threads} thread(s): {(time.perf_counter() - t) / 10 * 1000:.1f} ms per step", flush=True)
