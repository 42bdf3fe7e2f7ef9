"""A saved model's card: ``README.md`` in its model folder, in the Hugging Face format.

YAML metadata (``huggingface_hub.ModelCardData``: model-index with the validation metrics, language, a
license to fill in, ``pipeline_tag: text-classification``, ``base_model``) above sections a reader needs:
intended use, the training data and where its labels came from (shares of the ``label_source`` column:
person, accepted suggestion, LLM, imported), the evaluation with its weakest slices and its calibration,
the limitations the data's health report found, and the energy the run used when it was measured.

Why here, in ``runs``: the card describes what a run left behind, like ``results.py``, and three rooms
write or read it -- ``train`` when a run ends, ``serve`` when a run is exported, ``evaluate`` when the report
links to it -- and ``runs`` is below all three and may read ``data`` (slices, health) itself.
Every word comes from the catalog (``receipts.card.*``, written in the language of the thread: a training
thread writes English); every string from the data is escaped for markdown.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tuneboard.files import write_text_atomic
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.protocol import BASELINE_MODEL, HEADLINE_METRICS
from tuneboard.runs.folder import RunDir
from tuneboard.runs.receipt import label_provenance, read_receipt

CARD_FILE = ModelFiles.CARD
SHOWN_METRICS = HEADLINE_METRICS
SHOWN_SLICES = 5
# a label_source value -> the kind of labeler it names (what the labeling store's export writes, and near words)
SOURCE_KINDS = {"person": "person", "human": "person", "manual": "person", "monitor": "person",
                "suggestion": "suggestion", "accepted_suggestion": "suggestion", "accepted suggestion": "suggestion",
                "model": "suggestion", "llm": "llm", "imported": "imported", "import": "imported"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")  # what can start emphasis, code, a link or break a table row


def card_path(run: RunDir) -> Path:
    return run.model_dir / CARD_FILE


def write_card(run: RunDir) -> Path:
    """Write ``run``'s card into its model folder (atomically) and return its path."""
    path = card_path(run)
    write_text_atomic(path, model_card(run))
    return path


def limitations(data: Any) -> list[dict[str, Any]]:
    """The warnings and errors of the health report on a run's prepared data, as the card lists them."""
    from tuneboard.data.health import health_report

    report = health_report(data)
    return [{"kind": f.kind, "severity": f.severity, "title": f.title, "advice": f.advice}
            for f in report.findings if f.severity in ("warning", "error")]


def model_card(run: RunDir, load: bool = True) -> str:
    """The card's text: YAML front matter that ``huggingface_hub.ModelCard.load`` parses, then markdown.
    Built from the run folder alone (the health report's warnings are kept in the receipt), so an export
    builds the same card again; ``load=False`` leaves out how to load a PyTorch model (an ONNX export
    says how to load its own)."""
    from huggingface_hub import ModelCard

    cfg = run.config()
    m = run.metrics() or {}
    receipt = read_receipt(run) or {}
    frame = _predictions(run)
    body = "\n".join([
        f"# {md(run.run_id)}", "", t("receipts.card.intro", task=_task_words(m.get("task") or cfg.task)), "",
        *_intended_use(m), *_training_data(cfg, m, receipt), *_evaluation(cfg, m, frame),
        *_limitations(receipt.get("limitations")), *_energy(receipt.get("energy")), *_reproduce(run),
        *(_load(run, m) if load else [])])
    card = ModelCard(f"---\n{_card_data(run, cfg, m, frame).to_yaml()}\n---\n\n{body}\n")
    return str(card)


def provenance_shares(labels: dict[str, Any]) -> list[tuple[str, int, float]]:
    """(kind of labeler in words, rows, share) from a receipt's ``labels``; one "imported table" row at 100 %
    when the table had no ``label_source`` column."""
    counts: dict[str, int] = labels.get("counts") or {}
    if not counts:
        return [(t("receipts.card.source.table"), 0, 1.0)]
    merged: dict[str, int] = {}
    for value, n in counts.items():
        kind = SOURCE_KINDS.get(str(value).strip().lower())
        name = t(f"receipts.card.source.{kind}") if kind else str(value)
        merged[name] = merged.get(name, 0) + int(n)
    total = sum(merged.values()) or 1
    return sorted(((name, n, n / total) for name, n in merged.items()), key=lambda r: -r[1])


def md(text: Any) -> str:
    """A string from the data or a person, shown as itself in markdown (no link, no table break, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("<", "&lt;").replace("\n", " ")


def _card_data(run: RunDir, cfg: Any, m: dict[str, Any], frame: Any) -> Any:
    from huggingface_hub import EvalResult, ModelCardData

    data_name = Path(str(cfg.data)).name
    results = [EvalResult(task_type="text-classification", dataset_type="tuneboard-table", dataset_name=data_name,
                          dataset_split="validation", metric_type=k, metric_value=float(m[k]))
               for k in SHOWN_METRICS if isinstance(m.get(k), (int, float))]
    return ModelCardData(model_name=run.run_id, language=_language(frame), license="other",
                         license_name="to-be-chosen", pipeline_tag="text-classification",
                         base_model=_base_model(cfg, m), library_name=None if _is_baseline(cfg, m) else "transformers",
                         tags=["tuneboard", "text-classification"], eval_results=results or None)


def _is_baseline(cfg: Any, m: dict[str, Any]) -> bool:
    return m.get("model_kind") == BASELINE_MODEL or cfg.model == BASELINE_MODEL


def _base_model(cfg: Any, m: dict[str, Any]) -> str | None:
    """A hub id people can look up: the bundled model's, a hub id as given; a local folder by its name only
    (its path is the server's business); none for TF-IDF."""
    if _is_baseline(cfg, m):
        return None
    if cfg.model == "default":
        return "sentence-transformers/all-MiniLM-L6-v2"
    return Path(str(cfg.model)).name if Path(str(cfg.model)).is_absolute() else str(cfg.model)


def _language(frame: Any) -> str:
    from tuneboard.data.cjk import is_cjk_data

    texts = frame["text"].astype(str).head(500).tolist() if frame is not None and "text" in frame else []
    return "zh" if texts and is_cjk_data(texts) else "en"


def _task_words(task: str) -> str:
    return t(f"receipts.card.task.{task}") if task in ("single_label", "multi_label", "regression") else task


def _intended_use(m: dict[str, Any]) -> list[str]:
    labels = m.get("labels") or []
    shown = ", ".join(md(x) for x in labels[:20]) + (" …" if len(labels) > 20 else "")
    return [f"## {t('receipts.card.h.use')}", "", t("receipts.card.use", labels=shown or t("receipts.card.a_number")),
            "", t("receipts.card.use_not"), ""]


def _training_data(cfg: Any, m: dict[str, Any], receipt: dict[str, Any]) -> list[str]:
    lines = [f"## {t('receipts.card.h.data')}", ""]
    for role, rec in (receipt.get("data") or {}).items():
        lines.append(t("receipts.card.file", role=role, name=md(rec.get("name")), sha=str(rec.get("sha256"))[:12]))
    if not receipt.get("data"):
        lines.append(t("receipts.card.file_plain", name=md(Path(str(cfg.data)).name)))
    if "n_train" in m:
        lines.append(t("receipts.card.rows", train=f"{m['n_train']:,}", val=f"{m.get('n_val', 0):,}"))
    labels = receipt.get("labels") or label_provenance(cfg)
    heads = (t("receipts.card.col.source"), t("receipts.card.col.rows"), t("receipts.card.col.share"))
    lines += ["", f"### {t('receipts.card.h.provenance')}", "",
              t("receipts.card.provenance_from_column") if labels.get("counts") else t("receipts.card.provenance_none"),
              "", "| {} | {} | {} |".format(*heads), "|---|---:|---:|"]
    lines += [f"| {name} | {n:,} | {share:.0%} |" if n else f"| {name} | — | {share:.0%} |"
              for name, n, share in provenance_shares(labels)]
    return [*lines, ""]


def _evaluation(cfg: Any, m: dict[str, Any], frame: Any) -> list[str]:
    lines = [f"## {t('receipts.card.h.eval')}", "", t("receipts.card.eval_on"), "",
             f"| {t('receipts.card.col.metric')} | {t('receipts.card.col.value')} |", "|---|---:|"]
    scores = [f"| {k} | {m[k]:.4f} |" for k in SHOWN_METRICS if isinstance(m.get(k), (int, float))]
    lines += scores or [f"| — | {t('receipts.card.no_metrics')} |"]
    lines += ["", f"### {t('receipts.card.h.slices')}", ""]
    table = _slices(cfg, m, frame)
    if table is None or table.empty:
        lines.append(t("receipts.card.no_slices"))
    else:
        lines += [f"| {t('receipts.card.col.slice')} | {t('receipts.card.col.rows')} | accuracy | 95 % |",
                  "|---|---:|---:|---|"]
        from tuneboard.data.slices import by_name, value_name

        lines += [f"| {md(by_name(r.by))} = {md(value_name(r.by, r.value))} | {r.rows} | {r.accuracy:.1%} | "
                  f"{r.low:.0%}–{r.high:.0%} |" for r in table.head(SHOWN_SLICES).itertuples()]
    lines += ["", f"### {t('receipts.card.h.calibration')}", ""]
    ece = m.get("ece")
    lines.append(t("receipts.card.ece", ece=f"{ece:.1%}") if isinstance(ece, (int, float))
                 else t("receipts.card.no_calibration"))
    return [*lines, ""]


def _slices(cfg: Any, m: dict[str, Any], frame: Any) -> Any:
    if frame is None or m.get("task") != "single_label":
        return None
    from tuneboard.data.slices import judge, slice_table, with_data_columns

    return slice_table(judge(with_data_columns(frame, cfg), m))


def _limitations(findings: list[dict[str, Any]] | None) -> list[str]:
    lines = [f"## {t('receipts.card.h.limits')}", ""]
    if findings is None:
        lines.append(t("receipts.card.limits_unchecked"))
    elif not findings:
        lines.append(t("receipts.card.limits_none"))
    else:
        lines += [f"- **{md(f['title'])}** {md(f.get('advice', ''))}" for f in findings]
    return [*lines, "", t("receipts.card.limits_general"), ""]


def _energy(energy: dict[str, Any] | None) -> list[str]:
    lines = [f"## {t('receipts.card.h.energy')}", ""]
    if energy and energy.get("measured"):
        lines.append(t("receipts.card.energy", kwh=f"{energy['kwh']:.6f}", co2=f"{energy['co2_kg'] * 1000:.3f}",
                       country=energy.get("country"), tool=energy.get("tool")))
    else:
        lines.append(t("receipts.card.energy_not_measured"))
    return [*lines, ""]


def _reproduce(run: RunDir) -> list[str]:
    return [f"## {t('receipts.card.h.reproduce')}", "", t("receipts.card.reproduce"), "", "```bash",
            f"python -m tuneboard reproduce {run.run_id}", "```", ""]


def _load(run: RunDir, m: dict[str, Any]) -> list[str]:
    task = m.get("task") or "single_label"
    lines = [f"## {t('receipts.card.h.load')}", "", t("receipts.card.load"), ""]
    if (run.model_dir / ModelFiles.BASELINE).is_file():
        return lines + ["```python", "import json", "import skops.io as sio  # safe loading: no pickle",
                        'pipeline = sio.load("my-model/baseline.skops", trusted=[])  # a scikit-learn pipeline',
                        'labels = json.load(open("my-model/baseline.json"))["labels"]',
                        'scores = pipeline.predict_proba(["your text here"])' if task != "regression"
                        else 'values = pipeline.predict(["your text here"])', "```"]
    head = {"single_label": "probs = logits.softmax(-1)", "multi_label": "probs = logits.sigmoid()"}.get(
        task, "value = logits[0, 0]  # see tuneboard_target_mean/std in config.json")
    return lines + ["```python", "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
                    'tok = AutoTokenizer.from_pretrained("my-model")',
                    'model = AutoModelForSequenceClassification.from_pretrained("my-model")',
                    'logits = model(**tok(["your text here"], return_tensors="pt", truncation=True)).logits',
                    f"{head}  # labels: model.config.id2label", "```"]


def _predictions(run: RunDir) -> Any:
    import pandas as pd

    path = run.path / RunFiles.PREDICTIONS
    try:
        return pd.read_parquet(path) if path.is_file() else None
    except (OSError, ValueError):
        return None
