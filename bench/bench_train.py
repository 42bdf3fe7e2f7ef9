"""Time-to-accuracy benchmark: plain HF Trainer (AutoTrain-like) vs a tuned Trainer vs Tuneboard.

All three train the same model on the same split for the same number of epochs, in this one process,
one after another; the script prints each one's wall time, training samples/s, real (non-pad)
tokens/s, validation accuracy and macro-F1, inference speed, and Tuneboard's ratios to the others.

    .venv/bin/python bench/bench_train.py                       # demo data, bundled MiniLM, CPU or GPU
    .venv/bin/python bench/bench_train.py --generate 3000       # a larger generated support-ticket set
    .venv/bin/python bench/bench_train.py --data FILE --text-column T --label-column L
    .venv/bin/python bench/bench_train.py --grid small          # whole process, minutes
    .venv/bin/python bench/bench_train.py --grid full           # 1k/5k/20k rows x 1/2/4 epochs (hours on CPU)
    .venv/bin/python bench/bench_train.py --cells 5000x1000x1 --only tuneboard,tuned   # chosen cells, systems

--grid: generated short English sentences (positive/negative, ~23 tokens), and for each cell the WHOLE
``python -m tuneboard train`` process (a subprocess: wall clock and CPU from getrusage(RUSAGE_CHILDREN),
start-up, saving and exit included) beside the two Trainers' ``train()`` alone, with the phase profile
of Tuneboard's run from its history.jsonl and the ratios measured in the same run.

Baseline ("AutoTrain-like"): pad every text to 128 tokens, fp32, batch 8, lr 5e-5, 10 % warm-up.
Tuned Trainer: dynamic padding + length-grouped sampling; on GPU also bf16, fused AdamW, batch 32.
Tuneboard: its engine with the chosen preset (default: balanced).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tuneboard  # noqa: E402,F401  (sets the OpenMP wait policy before torch loads)

os.environ.setdefault("HF_HUB_OFFLINE", "1")


# (train rows, validation rows, epochs): the hard case first (validation as large as training)
GRIDS = {"small": [(1000, 1000, 2)],
         "full": [(n, v, e) for n, v in ((1000, 1000), (5000, 1000), (20000, 2000)) for e in (1, 2, 4)]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "examples" / "support_tickets.csv"))
    ap.add_argument("--text-column")
    ap.add_argument("--label-column")
    ap.add_argument("--generate", type=int, help="generate N support tickets instead of reading --data")
    ap.add_argument("--model", default="default")
    ap.add_argument("--preset", default="balanced")
    ap.add_argument("--epochs", type=int, help="epochs for all three (default: the preset's)")
    ap.add_argument("--only", default="baseline,tuned,tuneboard",
                    help="comma list of systems: baseline, tuned, tuneboard, unfrozen (Tuneboard with the "
                         "word embeddings trained: what freezing them gains and costs); with --grid also "
                         "tuneboard-fp32 (precision fp32), tuned-bf16 (the tuned Trainer with bf16=True) and app "
                         "(Start -> finished in the app, browser closed: bench/app_whole.py)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--grid", choices=sorted(GRIDS), help="whole-process benchmark on generated sentences")
    ap.add_argument("--cells", help="whole-process benchmark on these cells instead of a --grid: "
                                    "TRAINxVALIDATIONxEPOCHS, comma-separated (e.g. 5000x1000x1,1000x1000x4)")
    args = ap.parse_args()
    if args.grid or args.cells:
        from whole_process import run_grid

        cells = ([tuple(int(x) for x in c.split("x")) for c in args.cells.split(",")] if args.cells
                 else GRIDS[args.grid])
        return run_grid(cells, args.only.split(","), args.preset, args.json, hf_trainer)

    import torch

    from tuneboard.config import TrainConfig
    from tuneboard.data.prepare import prepare_data
    from tuneboard.model.catalog import resolve_model

    work = Path(tempfile.mkdtemp(prefix="tuneboard-bench-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = str(work / "runs")
    data_path = generate(args.generate, work) if args.generate else Path(args.data)
    cfg = TrainConfig(data=str(data_path), text_column=args.text_column, label_column=args.label_column,
                      model=args.model, preset=args.preset, epochs=args.epochs)
    prep = prepare_data(cfg)
    train_csv, val_csv = work / "train.csv", work / "val.csv"
    prep.train.to_csv(train_csv, index=False)
    prep.val.to_csv(val_csv, index=False)
    model_dir = resolve_model(args.model).location
    gpu = torch.cuda.is_available()
    machine = (torch.cuda.get_device_name(0) if gpu else f"CPU, {os.cpu_count()} cores, torch {torch.__version__}, "
               f"{torch.get_num_threads()} threads")
    print(f"# {data_path.name}: {len(prep.train)} train / {len(prep.val)} validation rows, "
          f"{len(prep.labels)} classes, {cfg.epochs} epochs, model {args.model}, on {machine}", flush=True)

    results = {}
    systems = args.only.split(",")
    if "baseline" in systems:
        results["baseline"] = hf_trainer(model_dir, prep, cfg.epochs, tuned=False, gpu=gpu)
        show("baseline", results["baseline"])
    if "tuned" in systems:
        results["tuned"] = hf_trainer(model_dir, prep, cfg.epochs, tuned=True, gpu=gpu)
        show("tuned", results["tuned"])
    if "tuneboard" in systems:
        results["tuneboard"] = tuneboard_engine(cfg.replace(data=str(train_csv), validation=str(val_csv)), prep)
        show("tuneboard", results["tuneboard"])
    if "unfrozen" in systems:
        results["unfrozen"] = tuneboard_engine(cfg.replace(data=str(train_csv), validation=str(val_csv),
                                                           freeze_embeddings=False), prep)
        show("unfrozen", results["unfrozen"])
    ratios(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "data": data_path.name,
                                               "results": results}, indent=2))
    return 0


def generate(n: int, folder: Path) -> Path:
    """N support tickets from the demo generator (same intents, fresh random texts)."""
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "examples" / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    rng = random.Random(2024)
    intents = ["billing", "technical_issue", "account_access", "shipping", "cancellation"]
    import pandas as pd

    rows = [(mod.make_ticket(intents[i % 5], rng), intents[i % 5]) for i in range(n)]
    path = folder / f"generated_{n}.csv"
    pd.DataFrame(rows, columns=["message", "intent"]).sample(frac=1, random_state=0).to_csv(path, index=False)
    return path


def hf_trainer(model_dir: str, prep, epochs: int, tuned: bool, gpu: bool, bf16: bool = False) -> dict:
    """The plain Hugging Face Trainer, AutoTrain-like (tuned=False) or with the usual speed-ups; ``bf16``
    turns on bfloat16 autocast on CPU too (what Tuneboard's ``precision=auto`` does on a CPU with AVX512-BF16)."""
    import numpy as np
    import torch
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(42)
    tok = AutoTokenizer.from_pretrained(model_dir)
    index = {n: i for i, n in enumerate(prep.labels)}

    def dataset(frame):
        enc = tok(frame["text"].tolist(), truncation=True, max_length=128,
                  padding=False if tuned else "max_length")
        return Dataset.from_dict({**enc, "labels": frame["label"].map(index).tolist()})

    train_ds, val_ds = dataset(prep.train), dataset(prep.val)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=len(prep.labels), id2label=dict(enumerate(prep.labels)), label2id=index)
    batch = 32 if (tuned and gpu) else 8
    args = TrainingArguments(
        output_dir=tempfile.mkdtemp(), per_device_train_batch_size=batch, per_device_eval_batch_size=batch,
        learning_rate=5e-5, num_train_epochs=epochs, warmup_steps=0.1, weight_decay=0.0, seed=42,
        eval_strategy="no", save_strategy="no", logging_strategy="no", report_to=[], disable_tqdm=True,
        dataloader_num_workers=0, use_cpu=not gpu,
        bf16=bool(tuned and (gpu or bf16)), optim="adamw_torch_fused" if (tuned and gpu) else "adamw_torch",
        train_sampling_strategy="group_by_length" if tuned else "random")
    trainer = Trainer(model=model, args=args, train_dataset=train_ds,
                      data_collator=DataCollatorWithPadding(tok) if tuned else None)
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.train()
    train_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    out = trainer.predict(val_ds)
    eval_s = time.perf_counter() - t0
    pred = np.asarray(out.predictions).argmax(axis=1)
    y = np.asarray(out.label_ids)  # aligned with the predictions (length grouping may reorder)
    from sklearn.metrics import f1_score

    real_tokens = sum(len([t for t in ids if t != tok.pad_token_id]) for ids in train_ds["input_ids"]) * epochs
    n = len(train_ds) * epochs
    del trainer, model
    return {"wall_s": train_s, "cpu_s": cpu_s, "samples_per_s": n / train_s, "real_tokens_per_s": real_tokens / train_s,
            "samples_per_cpu_s": n / cpu_s,
            "accuracy": float((pred == y).mean()), "macro_f1": float(f1_score(y, pred, average="macro")),
            "eval_rows_per_s": len(val_ds) / eval_s, "batch_size": batch}


def tuneboard_engine(cfg, prep) -> dict:
    from tuneboard.predict.inference import Predictor
    from tuneboard.train.pipeline import execute

    t0, c0 = time.perf_counter(), time.process_time()
    result = execute(cfg)
    wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    m = result.metrics
    predictor = Predictor.load(result.run.path)
    texts = prep.val["text"].tolist()
    predictor.scores(texts[:8])  # warm-up
    t0 = time.perf_counter()
    predictor.scores(texts)
    eval_rows = len(texts) / (time.perf_counter() - t0)
    lat = []
    for text in texts[:60]:
        t = time.perf_counter()
        predictor.predict([text])
        lat.append((time.perf_counter() - t) * 1000)
    return {"wall_s": wall, "train_s": m["train_runtime_s"], "samples_per_s": m["train_samples_per_second"],
            "real_tokens_per_s": m["train_tokens_per_second"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
            # CPU time of the training steps, like the Trainer's train() above; and of the whole run
            # (loading, TF-IDF baseline, per-epoch evaluation, saving included) as a conservative bound
            "samples_per_cpu_s": len(prep.train) * cfg.epochs / max(m["train_cpu_s"], 1e-9),
            "samples_per_cpu_s_whole_run": len(prep.train) * cfg.epochs / cpu_s,
            "eval_rows_per_s": eval_rows, "p50_single_ms": statistics.median(lat),
            "p95_single_ms": sorted(lat)[int(len(lat) * 0.95) - 1], "batch_size": cfg.batch_size,
            "preset": cfg.preset}


def show(name: str, r: dict) -> None:
    extra = f"  p50 one text {r['p50_single_ms']:.1f} ms" if "p50_single_ms" in r else ""
    if "samples_per_cpu_s_whole_run" in r:
        extra += f"  (whole run incl. loading/eval/saving: {r['samples_per_cpu_s_whole_run']:.2f} samples/CPU-s)"
    print(f"{name:<10} wall {r['wall_s']:7.1f} s  train {r['samples_per_s']:7.1f} samples/s  "
          f"{r['samples_per_cpu_s']:6.2f} samples/CPU-s  "
          f"{r['real_tokens_per_s']:8.0f} real tokens/s  acc {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
          f"eval {r['eval_rows_per_s']:6.1f} rows/s{extra}", flush=True)


def ratios(results: dict) -> None:
    tb = results.get("tuneboard")
    if not tb:
        return
    for other in ("baseline", "tuned", "unfrozen"):
        if other in results:
            o = results[other]
            print(f"tuneboard / {other}: samples/s x{tb['samples_per_s'] / o['samples_per_s']:.2f}, "
                  f"samples per CPU-second x{tb['samples_per_cpu_s'] / o['samples_per_cpu_s']:.2f}, "
                  f"real tokens/s x{tb['real_tokens_per_s'] / o['real_tokens_per_s']:.2f}, "
                  f"wall time x{o['wall_s'] / tb['wall_s']:.2f} faster, "
                  f"accuracy {100 * (tb['accuracy'] - o['accuracy']):+.1f} pt, "
                  f"eval rows/s x{tb['eval_rows_per_s'] / o['eval_rows_per_s']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
