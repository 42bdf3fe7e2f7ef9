"""Deployment-aware evaluation: each format of a run, measured on this machine, side by side.

For PyTorch, ONNX fp32 and int8 ONNX: file size, one-text p50 latency, rows/s in batches, and
accuracy on the run's validation rows (the ONNX exports' parity checks), with a one-sentence
recommendation. The TF-IDF baseline has one format, measured the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneboard.i18n import t
from tuneboard.runs.folder import open_run

FORMAT_NAMES = {"torch": "PyTorch (safetensors)", "onnx": "ONNX fp32", "onnx-int8": "ONNX int8",
                "tfidf": "TF-IDF (scikit-learn)"}


def compare_formats(run_path: str | Path, formats: tuple[str, ...] = ("torch", "onnx", "onnx-int8"),
                    single: int = 20, batch_rows: int = 256) -> dict[str, Any]:
    """``{"rows": [one dict per format], "recommendation": str}``; exports ONNX formats when missing."""
    from tuneboard.predict.baseline import is_baseline_folder
    from tuneboard.predict.inference import Predictor
    from tuneboard.serve.benchmark import format_bytes, measure
    from tuneboard.serve.onnx import OnnxPredictor, ensure_onnx, parity_check, read_parity, validation_rows

    run = open_run(run_path)
    val = validation_rows(run, limit=max(batch_rows, 200))
    texts = val["text"].astype(str).tolist()
    pairs = val["text_pair"].astype(str).tolist() if "text_pair" in val.columns else None
    if is_baseline_folder(run.model_dir):
        formats = ("tfidf",)
    # the batch: the validation rows repeated up to ``batch_rows`` (one text is timed from its start)
    batch = (texts * (batch_rows // max(len(texts), 1) + 1))[:batch_rows]
    batch_pairs = (pairs * (batch_rows // max(len(pairs), 1) + 1))[:batch_rows] if pairs else None
    rows = []
    for fmt in formats:
        if fmt in ("torch", "tfidf"):
            predictor = Predictor.load(run.path, device="cpu")
            parity = parity_check(run, predictor)
        else:
            folder = ensure_onnx(run.path, fmt)
            predictor, parity = OnnxPredictor.load(folder), read_parity(folder) or {}
        ((p50, rps, _),) = measure([predictor], batch, batch_pairs, single, rounds=1)
        quality = "accuracy" if "accuracy" in parity else "mae"
        rows.append({"format": fmt, "name": FORMAT_NAMES[fmt], "size_mb": format_bytes(run, fmt) / 1e6,
                     "p50_ms": p50, "rows_per_s": rps, "metric": quality, "value": parity.get(quality),
                     "label_agreement": parity.get("label_agreement")})
    return {"rows": rows, "recommendation": recommend(rows)}


def recommend(rows: list[dict[str, Any]]) -> str:
    """One sentence: the int8 (or fp32) export against PyTorch, and which to deploy."""
    by = {r["format"]: r for r in rows}
    base = by.get("torch")
    if base is None:
        only = rows[0] if rows else None
        return (t("deploy.recommend_only", name=only["name"], size=f"{only['size_mb']:.1f}",
                  p50=f"{only['p50_ms']:.1f}") if only else t("deploy.recommend_nothing"))
    for fmt in ("onnx-int8", "onnx"):
        r = by.get(fmt)
        if r is None:
            continue
        delta = _delta(r, base)
        sentence = t("deploy.recommend_sentence", name=r["name"], smaller=f"{base['size_mb'] / r['size_mb']:.1f}",
                     faster=f"{base['p50_ms'] / r['p50_ms']:.1f}",
                     rows=f"{r['rows_per_s'] / base['rows_per_s']:.1f}", delta=delta)
        if _within_one_point(r, base) and r["p50_ms"] <= base["p50_ms"]:
            return sentence + t("deploy.recommend_deploy", name=r["name"])
    return t("deploy.recommend_torch")


def _delta(r: dict[str, Any], base: dict[str, Any]) -> str:
    if r["value"] is None or base["value"] is None:
        return t("deploy.accuracy_not_measured")
    if r["metric"] == "accuracy":
        return t("deploy.accuracy_delta", delta=f"{(r['value'] - base['value']) * 100:+.1f}")
    return t("deploy.mae_delta", value=f"{r['value']:.3g}", base=f"{base['value']:.3g}")


def _within_one_point(r: dict[str, Any], base: dict[str, Any]) -> bool:
    if r["value"] is None or base["value"] is None:
        return False
    if r["metric"] == "accuracy":
        return r["value"] >= base["value"] - 0.01
    return r["value"] <= base["value"] * 1.01 + 1e-9
