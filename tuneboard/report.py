"""A stakeholder report of one finished run: one self-contained, printable HTML file.

What was trained on what data, the headline numbers beside the TF-IDF baseline, per-class results, the
confusion matrix, example predictions with their words highlighted, slices and the plain-words coaching.
Example texts and slices are validation rows: they are in the report only for someone who may see the
run's texts (``access``: its owner, an admin, or a teammate when the run is shared).
Charts are interactive Plotly figures drawn by the plotly.js copied into the file, so the report opens
from disk, offline, with no server. Every string from the data or the user is HTML-escaped.
"""
from __future__ import annotations

import html
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from . import reportfigures as figs
from .access import LOCAL, User, allowed
from .errors import ConfigError, TuneboardError
from .files import write_text_atomic
from .i18n import language, t
from .runs import RunDir, open_run

HEADLINES = {"single_label": ("accuracy", "macro_f1", "weighted_f1"),
             "multi_label": ("micro_f1", "macro_f1", "subset_accuracy"), "regression": ("rmse", "mae", "r2")}
EXAMPLES = 6
CSS = """
body{font-family:Inter,'Source Sans Pro',Helvetica,Arial,sans-serif;color:#1F2937;max-width:1100px;margin:2em auto;
padding:0 1.5em;line-height:1.5}
h1{margin-bottom:.1em}h2{border-bottom:2px solid #E5E7EB;padding-bottom:.2em;margin-top:1.8em}
.muted{color:#6B7280}table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #E5E7EB;padding:.3em .7em;
text-align:left;vertical-align:top}th{background:#F9FAFB}.num{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:flex;gap:1em;flex-wrap:wrap}.tile{border:1px solid #E5E7EB;border-radius:8px;padding:.6em 1em;
min-width:9em}.tile b{display:block;font-size:1.6em}.tip{border-left:4px solid #4F46E5;padding:.3em .8em;
margin:.5em 0;background:#F9FAFB}.tip.warning{border-color:#F59E0B}.tip.success{border-color:#10B981}
.tip.error{border-color:#EF4444}.example{border:1px solid #E5E7EB;border-radius:8px;padding:.6em 1em;margin:.6em 0}
.wrong{color:#B91C1C}.right{color:#047857}.chart{width:100%}
@media print{body{max-width:none;margin:0}section{break-inside:avoid}.noprint{display:none}
.example,.tip{break-inside:avoid}}
"""


def plotly_js() -> str:
    """plotly.min.js from the installed plotly package, found without importing plotly (the engine never does)."""
    spec = importlib.util.find_spec("plotly")
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise ConfigError(t("report.no_plotly"))
    return path.read_text(encoding="utf-8")


def write_report(run_path: str | Path, output: str | Path | None = None, examples: int = EXAMPLES) -> Path:
    """Write the report of ``run_path`` to ``output`` (default ``<run>/report.html``) atomically (the CLI:
    the machine's own user). The app never writes a report: it serves ``report_for`` as a download."""
    run = open_run(run_path)
    target = Path(output) if output else run.path / "report.html"
    write_text_atomic(target, build_report(run, examples))
    return target


def report_for(run_path: str | Path, user: User, examples: int = EXAMPLES) -> str:
    """The report of ``run_path`` as ``user`` may read it, written nowhere: a teammate may build the report
    of any run, but not into its owner's folder, and without texts they may not see."""
    return build_report(open_run(run_path), examples, user)


def build_report(run: RunDir, examples: int = EXAMPLES, user: User = LOCAL) -> str:
    """The whole report as one HTML string; example texts and slices only when ``user`` may see the texts."""
    metrics = run.metrics()
    if not metrics:
        raise ConfigError(t("report.no_scores", run=run.run_id))
    frame = _predictions(run, metrics) if allowed(user, "view_texts", run.path) else None
    charts: list[tuple[str, dict[str, Any]]] = []
    withheld = "" if frame is not None or not (run.path / "predictions.parquet").is_file() else \
        f"<p class=\"muted\">{html.escape(t('access.report.texts_left_out'))}</p>"
    body = [_header(run, metrics), _overview(run, metrics), _headline(metrics, charts), _per_class(metrics, charts),
            _examples(run, metrics, frame, examples), _slices(run, frame, charts), withheld, _coaching(run, metrics)]
    scripts = "".join(f"Plotly.newPlot({json.dumps(div)},{_safe_json(fig['data'])},{_safe_json(fig['layout'])},"
                      '{"displaylogo":false,"responsive":true});\n' for div, fig in charts)
    title = html.escape(t("report.page_title", run=run.run_id))
    return (f"<!DOCTYPE html><html lang=\"{language()}\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{CSS}</style>"
            f"<script>{plotly_js()}</script></head><body>{''.join(body)}"
            f"<script>\n{scripts}</script></body></html>")


def _safe_json(value: Any) -> str:
    """JSON that cannot close the <script> it sits in, whatever the labels hold."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart(charts: list[tuple[str, dict[str, Any]]], fig: dict[str, Any]) -> str:
    div = f"chart-{len(charts)}"
    charts.append((div, fig))
    return f'<div id="{div}" class="chart"></div>'


def _predictions(run: RunDir, metrics: dict[str, Any]) -> pd.DataFrame | None:
    from .slices import judge, with_data_columns

    path = run.path / "predictions.parquet"
    if not path.is_file():
        return None
    frame = judge(pd.read_parquet(path), metrics)
    try:
        return with_data_columns(frame, run.config())
    except TuneboardError:
        return frame


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows) + \
        "</table>"


def _header(run: RunDir, metrics: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime())
    task = str(metrics.get("task", "")).replace("_", "-")
    return (f"<header><h1>{html.escape(t('report.title'))}</h1><p class=\"muted\">"
            f"{html.escape(t('report.generated', run=run.run_id, when=when, task=task))}</p>"
            f"<p class=\"noprint muted\">{html.escape(t('report.interactive'))}</p></header>")


def _overview(run: RunDir, metrics: dict[str, Any]) -> str:
    cfg = run.config()
    status = run.status()
    labels = [str(x) for x in metrics.get("labels") or []]
    model = t("report.model_tfidf") if metrics.get("model_kind") == "tfidf" else \
        (t("report.model_default") if cfg.model == "default" else str(cfg.model))
    rows = [(t("report.model"), model), (t("report.data"), Path(str(cfg.data)).name),
            (t("report.rows"), t("report.rows_value", train=metrics.get("n_train", "?"),
                                 val=metrics.get("n_val", metrics.get("n", "?")))),
            (t("report.task"), str(metrics.get("task", "")).replace("_", "-"))]
    if labels:
        rows.append((t("report.labels", count=len(labels)), ", ".join(labels)))
    rows.append((t("report.settings"), t("report.settings_value", preset=cfg.preset, epochs=cfg.epochs,
                                         lr=cfg.learning_rate, max_length=cfg.max_length, seed=cfg.seed)))
    if metrics.get("wall_time_s"):
        rows.append((t("report.training_time"), f"{metrics['wall_time_s']:.0f} s ({status.get('status', '?')})"))
    return f"<section><h2>{html.escape(t('report.what_trained'))}</h2>" + _table(rows) + "</section>"


def _fmt(key: str, value: Any) -> str:
    if not isinstance(value, (int, float)):
        return t("report.na")
    return f"{value:.3f}" if key in ("rmse", "mae", "r2") else f"{value:.1%}"


def _headline(metrics: dict[str, Any], charts: list[tuple[str, dict[str, Any]]]) -> str:
    keys = [k for k in HEADLINES.get(metrics.get("task", ""), ()) if k in metrics]
    base = metrics.get("baseline") or {}
    tiles = "".join(f'<div class="tile">{html.escape(figs.name(k))}<b>{_fmt(k, metrics[k])}</b>'
                    + (f'<span class="muted">{html.escape(t("report.baseline_tile", value=_fmt(k, base[k])))}</span>'
                       if k in base else "") + "</div>"
                    for k in keys)
    return (f"<section><h2>{html.escape(t('report.how_good'))}</h2>"
            f"<p>{html.escape(verdict(metrics))}</p><div class=\"tiles\">{tiles}</div>"
            + _chart(charts, figs.metrics_figure(metrics, keys)) + "</section>")


def verdict(metrics: dict[str, Any]) -> str:
    """One plain sentence: the main number, and whether fine-tuning beat the instant baseline."""
    main, base = metrics.get("main_metric"), (metrics.get("baseline") or {})
    name = figs.name(main) if main else t("report.score")
    ours = metrics.get(main or "")
    if not isinstance(ours, (int, float)):
        return t("report.no_score")
    rows = metrics.get("n_val", metrics.get("n", "?"))
    said = t("report.said", rows=rows, metric=name, value=_fmt(main, ours))
    if metrics.get("model_kind") == "tfidf" or not isinstance(base.get(main), (int, float)):
        return said
    gain = (ours - base[main]) * (1 if metrics.get("higher_is_better", True) else -1)
    if abs(gain) < 0.005:
        return said + " " + t("report.tie", base=_fmt(main, base[main]))
    return said + " " + t("report.better" if gain > 0 else "report.worse", base=_fmt(main, base[main]))


def _per_class(metrics: dict[str, Any], charts: list[tuple[str, dict[str, Any]]]) -> str:
    per = metrics.get("per_class")
    if not per:
        return ""
    names = (t("report.class"), figs.name("precision"), figs.name("recall"), "F1", t("report.rows"))
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in names) + "</tr>"
    rows = "".join(f"<tr><td>{html.escape(str(n))}</td><td class=\"num\">{r['precision']:.1%}</td>"
                   f"<td class=\"num\">{r['recall']:.1%}</td><td class=\"num\">{r['f1']:.1%}</td>"
                   f"<td class=\"num\">{r['support']}</td></tr>" for n, r in per.items())
    out = (f"<section><h2>{html.escape(t('report.per_class'))}</h2>"
           f"<p class=\"muted\">{html.escape(t('report.per_class_note'))}</p>"
           f"<table>{head}{rows}</table>" + _chart(charts, figs.per_class_figure(per)))
    matrix = metrics.get("confusion_matrix")
    if matrix:
        out += _chart(charts, figs.confusion_figure(matrix["labels"], matrix["matrix"]))
    return out + "</section>"


def _examples(run: RunDir, metrics: dict[str, Any], frame: pd.DataFrame | None, count: int) -> str:
    if frame is None or "correct" not in frame or count <= 0 or metrics.get("task") == "regression":
        return ""
    from .explain import explain, highlight_html
    from .inference import Predictor

    ranked = frame.sort_values("confidence", ascending=False)
    right, wrong = ranked[ranked["correct"]], ranked[~ranked["correct"]]
    picked = pd.concat([right.head(count - min(count // 2, len(wrong))), wrong.head(count // 2)])
    try:
        explained = explain(Predictor.load(run.path, device="cpu"), picked["text"].astype(str).tolist(),
                            labels=[str(x) for x in picked["predicted"]] if metrics["task"] == "single_label" else None)
        shown = [highlight_html(e) for e in explained]
        note = t("report.examples_legend")
    except TuneboardError as e:
        shown, note = [html.escape(x) for x in picked["text"].astype(str)], str(e)
    cards = "".join(
        f"<div class=\"example\"><div>{text}</div><div class=\"muted\">"
        + t("report.example_line", predicted=f"<b class=\"{'right' if ok else 'wrong'}\">{html.escape(str(pred))}</b>",
            sure=f"{conf:.0%}", label=f"<b>{html.escape(str(label))}</b>") + "</div></div>"
        for text, pred, conf, label, ok in zip(shown, picked["predicted"], picked["confidence"], picked["label"],
                                               picked["correct"], strict=True))
    return (f"<section><h2>{html.escape(t('report.examples'))}</h2><p class=\"muted\">{html.escape(note)} "
            f"{html.escape(t('report.examples_note'))}</p>{cards}</section>")


def _slices(run: RunDir, frame: pd.DataFrame | None, charts: list[tuple[str, dict[str, Any]]]) -> str:
    from .slices import slice_table

    if frame is None:
        return ""
    table = slice_table(frame)
    if table.empty:
        return ""
    rows = "".join(f"<tr><td>{html.escape(str(r.by))}</td><td>{html.escape(str(r.value))}</td>"
                   f"<td class=\"num\">{r.rows}</td><td class=\"num\">{r.accuracy:.1%}</td>"
                   f"<td class=\"num\">{r.low:.0%}–{r.high:.0%}</td></tr>" for r in table.head(15).itertuples())
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (t("report.slice_by"), t("report.value"), t("report.rows"),
                                                          figs.name("accuracy"), t("report.interval")))
    return (f"<section><h2>{html.escape(t('report.weaker'))}</h2>"
            f"<p class=\"muted\">{html.escape(t('report.weaker_note'))}</p>"
            f"<table><tr>{head}</tr>{rows}</table>" + _chart(charts, figs.slices_figure(table)) + "</section>")


def _coaching(run: RunDir, metrics: dict[str, Any]) -> str:
    from .coaching import BASELINE_TIPS, coach

    # The baseline verdict is said once, in "How good it is" (coaching's 0.5-point tie rule differs).
    tips = [tip for tip in coach(run.history(), metrics) if tip["kind"] not in BASELINE_TIPS]
    if not tips:
        return ""
    body = "".join(f"<div class=\"tip {html.escape(tip['severity'])}\"><b>{html.escape(tip['title'])}.</b> "
                   f"{html.escape(tip['advice'].replace('`', ''))}</div>" for tip in tips)
    return f"<section><h2>{html.escape(t('report.next'))}</h2>{body}</section>"
