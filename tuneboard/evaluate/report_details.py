"""The report after its first screen: the numbers beside the simple model, each class, confidence, examples
with their words weighed, weaker slices, what was trained (in words) and what to do next.

Every term is explained where it appears; every string from the data or the user is HTML-escaped.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from tuneboard.errors import TuneboardError
from tuneboard.evaluate import report_figures as figs
from tuneboard.evaluate.decision import USE_BASELINE, Decision
from tuneboard.i18n import catalog, t
from tuneboard.protocol import BASELINE_MODEL, HEADLINES
from tuneboard.runs.card import CARD_FILE, card_path
from tuneboard.runs.folder import RunDir

SHOWN_SLICES = 15


def sections(run: RunDir, metrics: dict[str, Any], decision: Decision, frame: pd.DataFrame | None,
             table: pd.DataFrame | None, examples: int) -> str:
    """Every detail section, in reading order."""
    return "".join([f"<p class=\"divider\">{_e(t('report.details'))}</p>", _compare(metrics),
                    _per_class(metrics, _descriptions(run)),
                    _calibration(metrics), _examples(run, metrics, frame, examples), _slices(table),
                    _trained(run, metrics), _card(run), _next(run, metrics, decision)])


def _e(text: Any) -> str:
    return html.escape(str(text))


def _section(title_key: str, *parts: str) -> str:
    return f"<section><h2>{_e(t(title_key))}</h2>{''.join(parts)}</section>"


def _note(text: str) -> str:
    return f"<p class=\"muted\">{_e(text)}</p>"


def _compare(metrics: dict[str, Any]) -> str:
    keys = [k for k in HEADLINES.get(metrics.get("task", ""), ()) if k in metrics]
    if not keys:
        return ""
    note = t("report.compare_tfidf_run") if metrics.get("model_kind") == BASELINE_MODEL else t("report.compare_note")
    return _section("report.how_good", _note(note), figs.compare_bars(metrics, keys))


def _descriptions(run: RunDir) -> dict[str, str]:
    """What each named class means, as the person described it on Data (class name -> description)."""
    try:
        return {c.name: c.description for c in run.config().classes if c.description}
    except Exception:  # noqa: BLE001 -- a torn config: the table still lists the classes
        return {}


def _per_class(metrics: dict[str, Any], described: dict[str, str] | None = None) -> str:
    per = metrics.get("per_class")
    if not per:
        return ""
    described = described or {}
    heads = (t("report.class"), t("report.col_recall"), t("report.col_precision"), "F1", t("report.col_rows"))
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    meaning = {n: f"<div class=\"muted small\">{_e(text)}</div>" for n, text in described.items()}
    rows = "".join(f"<tr><td>{_e(n)}{meaning.get(n, '')}</td>"
                   f"<td class=\"num\">{figs.bar(r['recall'], figs.AMBER)}{r['recall']:.0%}</td>"
                   f"<td class=\"num\">{r['precision']:.0%}</td><td class=\"num\">{r['f1']:.0%}</td>"
                   f"<td class=\"num\">{r['support']}</td></tr>" for n, r in per.items())
    matrix = metrics.get("confusion_matrix") or {}
    grid = figs.confusion_grid(matrix.get("labels") or [], matrix.get("matrix") or [])
    return _section("report.per_class", _note(t("report.per_class_note")), f"<table>{head}{rows}</table>",
                    (_note(t("report.grid_note")) + grid) if grid else "")


def _calibration(metrics: dict[str, Any]) -> str:
    bins = (metrics.get("calibration") or {}).get("bins") or []
    ece = metrics.get("ece")
    if not bins or not isinstance(ece, (int, float)):
        return ""
    heads = (t("report.cal_says"), t("report.cal_right"), t("report.col_rows"))
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr>"
    rows = "".join(f"<tr><td class=\"num\">{b['low']:.0%}–{b['high']:.0%}</td><td class=\"num\">"
                   f"{figs.bar(b['accuracy'], figs.GREEN)}{b['accuracy']:.0%}</td><td class=\"num\">{b['count']}</td>"
                   "</tr>" for b in bins)
    return _section("report.calibration", _note(t("report.calibration_note", ece=f"{ece:.1%}")),
                    f"<table>{head}{rows}</table>")


def _examples(run: RunDir, metrics: dict[str, Any], frame: pd.DataFrame | None, count: int) -> str:
    if frame is None or "correct" not in frame or count <= 0 or metrics.get("task") == "regression":
        return ""
    from tuneboard.predict.explanations import explain, highlight_html
    from tuneboard.predict.inference import Predictor

    ranked = frame.sort_values("confidence", ascending=False)
    right, wrong = ranked[ranked["correct"]], ranked[~ranked["correct"]]
    picked = pd.concat([right.head(count - min(count // 2, len(wrong))), wrong.head(count // 2)])
    try:  # the TF-IDF model's words are weighed by its own coefficients, a transformer's by attributions
        explained = explain(Predictor.load(run.path, device="cpu"), picked["text"].astype(str).tolist(),
                            labels=[str(x) for x in picked["predicted"]] if metrics["task"] == "single_label"
                            else None)
        shown, note = [highlight_html(e) for e in explained], t("report.examples_legend")
    except TuneboardError:  # the texts are still worth showing without their words weighed
        shown, note = [html.escape(x) for x in picked["text"].astype(str)], t("report.examples_unweighed")
    cards = "".join(
        f"<div class=\"example\"><div>{text}</div><div class=\"muted small\">"
        + t("report.example_line", predicted=f"<b class=\"{'right' if ok else 'wrong'}\">{_e(pred)}</b>",
            sure=f"{conf:.0%}", label=f"<b>{_e(label)}</b>") + "</div></div>"
        for text, pred, conf, label, ok in zip(shown, picked["predicted"], picked["confidence"], picked["label"],
                                               picked["correct"], strict=True))
    return _section("report.examples", _note(f"{note} {t('report.examples_note')}"), cards)


def slice_words(by: str, value: str) -> tuple[str, str]:
    """A slice's name and value in the reader's language (the built-in length and script slices are words
    of ``slices``; a data column and its values are the user's and stay as they are)."""
    from tuneboard.data.slices import LENGTH, SCRIPT

    if value == "(blank)":
        value = t("report.blank")
    if by == LENGTH:
        low, _, high = value.replace(" chars", "").replace("+", "-").partition("-")
        return t("report.slice_length"), (t("report.chars_range", low=low, high=high) if high
                                          else t("report.chars_more", low=low))
    if by == SCRIPT:
        key = f"report.script_{value.lower()}"
        return t("report.slice_script"), (t(key) if key in catalog("en") else value)
    return by, value


def _slices(table: pd.DataFrame | None) -> str:
    if table is None or table.empty:
        return ""
    rows = []
    for r in table.head(SHOWN_SLICES).itertuples():
        by, value = slice_words(str(r.by), str(r.value))
        rows.append(f"<tr><td>{_e(by)}</td><td>{_e(value)}</td><td class=\"num\">{r.rows}</td>"
                    f"<td class=\"num\">{figs.interval_bar(r.accuracy, r.low, r.high)}{r.accuracy:.0%}</td>"
                    f"<td class=\"num\">{r.low:.0%}–{r.high:.0%}</td></tr>")
    heads = (t("report.slice_by"), t("report.value"), t("report.col_rows"), figs.name("accuracy"),
             t("report.interval"))
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    return _section("report.weaker", _note(t("report.weaker_note")), f"<table><tr>{head}</tr>{''.join(rows)}</table>")


def model_words(metrics: dict[str, Any], model: str) -> str:
    """The model by a name people can look up (a local folder by its last part), with what kind it is."""
    if metrics.get("model_kind") == BASELINE_MODEL or model == BASELINE_MODEL:
        return t("report.model_tfidf")
    named = t("report.model_default") if model == "default" else Path(model).name or model
    return t("report.model_transformer", model=named)


def _trained(run: RunDir, metrics: dict[str, Any]) -> str:
    cfg = run.config()
    task = str(metrics.get("task", "single_label"))
    rows = [(t("report.model"), model_words(metrics, str(cfg.model))),
            (t("report.data"), Path(str(cfg.data)).name),
            (t("report.rows"), t("report.rows_value", train=metrics.get("n_train", "?"),
                                 val=metrics.get("n_val", metrics.get("n", "?")))),
            (t("report.task"), t(f"report.task_{task}"))]
    labels = [str(x) for x in metrics.get("labels") or []]
    if labels:
        rows.append((t("report.labels", count=len(labels)), t("report.list_sep").join(labels)))
    if metrics.get("model_kind") != BASELINE_MODEL:
        preset = t(f"train.preset.{cfg.preset}") if f"train.preset.{cfg.preset}" in catalog("en") else cfg.preset
        rows += [(t("report.settings"), t("report.settings_value", preset=preset, epochs=cfg.epochs,
                                          max_length=cfg.max_length)),
                 (t("report.learning_rate"), t("report.learning_rate_value", lr=f"{cfg.learning_rate:g}")),
                 (t("report.seed"), t("report.seed_value", seed=cfg.seed))]
    if isinstance(metrics.get("wall_time_s"), (int, float)):
        rows.append((t("report.training_time"), t("report.seconds", seconds=f"{metrics['wall_time_s']:.0f}")))
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return _section("report.what_trained", f"<table>{table}</table>")


def _card(run: RunDir) -> str:
    """A link to the model card, ``README.md`` in the run's model folder: it opens from the run folder's own
    ``report.html`` (where ``write_report`` puts it) and names the file for a report that travels alone."""
    if not card_path(run).is_file():
        return _section("receipts.report.card_title", _note(t("receipts.report.card_missing")))
    href = f"{run.model_dir.name}/{CARD_FILE}"
    return _section("receipts.report.card_title", f"<p><a href=\"{_e(href)}\">{_e(t('receipts.report.card_link'))}"
                                                  f"</a>{_e(t('receipts.report.card_note'))}</p>")


def _next(run: RunDir, metrics: dict[str, Any], decision: Decision) -> str:
    from tuneboard.data.model_choice import run_reading
    from tuneboard.evaluate.coaching import BASELINE_TIPS, TUNING_TIPS, coach

    key = f"report.next_{decision.verdict}_{decision.reason}"
    first = t(key if key in catalog("en") else f"report.next_{decision.verdict}")
    # The baseline verdict is the recommendation's; tuning tips (more epochs...) would contradict "use the
    # simple model", so they are left out when it wins.
    skip = BASELINE_TIPS + (TUNING_TIPS if decision.verdict == USE_BASELINE else ())
    # how much of its texts the model reads: a model that cannot read the language gets a model that can
    tips = [tip for tip in coach(run.history(), metrics, run_reading(run.path)) if tip["kind"] not in skip]
    body = "".join(f"<div class=\"tip\"><b>{_e(tip['title'])}</b>{_e(t('report.title_sep'))}"
                   f"{_e(tip['advice'].replace('`', ''))}</div>" for tip in tips)
    return _section("report.next", f"<div class=\"tip\">{_e(first)}</div>", body)
