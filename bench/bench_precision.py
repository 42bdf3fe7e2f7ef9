"""One training step and one evaluation pass of the bundled MiniLM in fp32 vs bfloat16 autocast.

    .venv/bin/python bench/bench_precision.py [--batch 32] [--tokens 26]

Times 12 steps after 3 warm-up steps (forward + backward + AdamW, word embeddings frozen as in the presets),
unfused and fused AdamW, and 12 inference passes, on random token ids; prints wall and CPU seconds per
step and the bf16 / fp32 ratios. bf16 pays only on chips with bfloat16 instructions (the script says whether
this CPU has them: AVX512-BF16 or AMX); elsewhere it is emulated and slower.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=26)
    args = ap.parse_args()
    import torch
    from transformers import AutoModelForSequenceClassification

    from tuneboard.model.catalog import default_model_path, quiet_transformers
    from tuneboard.model.device import native_cpu_bf16

    torch.manual_seed(0)
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(default_model_path(), num_labels=2)
    model.get_input_embeddings().weight.requires_grad_(False)
    ids = torch.randint(1000, 20000, (args.batch, args.tokens))
    mask, y = torch.ones_like(ids), torch.randint(0, 2, (args.batch,))

    def train(amp: bool, fused: bool, n: int = 12) -> tuple[float, float]:
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, fused=fused)
        model.train()
        for i in range(n + 3):
            if i == 3:
                t, c = time.perf_counter(), time.process_time()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                loss = model(input_ids=ids, attention_mask=mask, labels=y).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        return (time.perf_counter() - t) / n, (time.process_time() - c) / n

    def evaluate(amp: bool, n: int = 12) -> float:
        model.eval()
        with torch.inference_mode():
            for i in range(n + 3):
                if i == 3:
                    t = time.perf_counter()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                    model(input_ids=ids, attention_mask=mask)
        return (time.perf_counter() - t) / n

    print(f"# CPU {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"bfloat16 instructions: {native_cpu_bf16()}; batch {args.batch} x {args.tokens} tokens")
    steps = {(amp, fused): train(amp, fused) for amp in (False, True) for fused in (False, True)}
    evals = {amp: evaluate(amp) for amp in (False, True)}
    for (amp, fused), (wall, cpu) in steps.items():
        print(f"step  {'bf16' if amp else 'fp32'} {'fused AdamW' if fused else 'AdamW      '}  "
              f"{1000 * wall:6.1f} ms  {cpu:.3f} CPU-s")
    for amp, wall in evals.items():
        print(f"eval  {'bf16' if amp else 'fp32'}              {1000 * wall:6.1f} ms per batch")
    print(f"bf16 / fp32: step x{steps[(False, False)][0] / steps[(True, False)][0]:.2f} faster, "
          f"evaluation x{evals[False] / evals[True]:.2f} faster; fused AdamW x"
          f"{steps[(True, False)][0] / steps[(True, True)][0]:.2f} (bf16)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
