"""A stakeholder report of one finished run: one self-contained, printable HTML file.

The first screen is a decision for someone who will not read further: what the model does, how often it
is right (in words, with one right and one wrong example), a recommendation (ship / not yet / use the
simple model, from ``decision.decide``) with its reason, and the risks that matter. The details follow,
each term explained where it appears. Example texts and slices are validation rows: they are in the report
only for someone who may see the run's texts (``access``: its owner, an admin, or a teammate when the run
is shared). Charts are HTML and CSS (``reportfigures``): no script, so the file opens from disk, offline,
prints as it looks and stays small. Every string from the data or the user is HTML-escaped.
"""
from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import pandas as pd

from tuneboard.errors import ConfigError, TuneboardError
from tuneboard.evaluate import report_details as details
from tuneboard.evaluate import report_figures as figs
from tuneboard.evaluate.decision import MIN_R2, MIN_SCORE, Decision, Risk, decide
from tuneboard.evaluate.report_details import slice_words
from tuneboard.files import write_text_atomic
from tuneboard.i18n import language, t
from tuneboard.paths import RunFiles
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.team.access import LOCAL, User, allowed

EXAMPLES = 6
SHOWN_LABELS = 8  # classes named in the one-sentence summary; the rest are counted
EXCERPT = 160  # characters of an example text on the first screen
CSS = """
body{font-family:Inter,'Source Sans Pro',Helvetica,Arial,'PingFang SC','Noto Sans CJK SC',sans-serif;color:#1F2937;
max-width:980px;margin:1.2em auto;padding:0 1.5em;line-height:1.5}
h1{margin:0 0 .1em;font-size:1.7em}h2{border-bottom:2px solid #E5E7EB;padding-bottom:.2em;margin-top:1.6em}
h3{margin:.9em 0 .2em;font-size:1.05em}.muted{color:#6B7280}.small{font-size:.9em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #E5E7EB;padding:.3em .7em;text-align:left;
vertical-align:top}th{background:#F9FAFB}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.verdict{border-radius:10px;padding:.7em 1.1em;margin:.7em 0;border:2px solid}
.verdict b.call{font-size:1.35em;display:block}
.verdict.ship{border-color:#10B981;background:#ECFDF5}.verdict.not_yet{border-color:#F59E0B;background:#FFFBEB}
.verdict.use_baseline{border-color:#4F46E5;background:#EEF2FF}.first p{margin:.35em 0}
.pairs{display:flex;gap:.8em;flex-wrap:wrap}.example{flex:1 1 20em;border:1px solid #E5E7EB;border-radius:8px;
padding:.5em .9em;margin:.4em 0}.wrong{color:#B91C1C}.right{color:#047857}ul.risks{margin:.3em 0;padding-left:1.3em}
.bar{display:inline-block;position:relative;width:14em;height:.9em;background:#F1F5F9;border-radius:3px;
vertical-align:middle;margin:0 .5em}.bar i{position:absolute;left:0;top:0;bottom:0;border-radius:3px}
.bar s{position:absolute;top:.4em;height:2px;background:#334155;text-decoration:none}
.metric{margin:.6em 0}.pair{margin:.15em 0}.who{display:inline-block;min-width:12em}
table.grid td.cell{min-width:3em;text-align:center}table.grid caption{text-align:left;font-weight:600;padding:.3em 0}
.divider{margin-top:2.2em;color:#6B7280;text-transform:uppercase;letter-spacing:.08em;font-size:.85em}
.tip{border-left:4px solid #4F46E5;padding:.3em .8em;margin:.5em 0;background:#F9FAFB}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{body{max-width:none;margin:0;font-size:11pt}section{break-inside:avoid}.first{break-after:page}
.example,.tip,.metric,tr{break-inside:avoid}h2{break-after:avoid}}
"""


def write_report(run_path: str | Path, output: str | Path | None = None, examples: int = EXAMPLES) -> Path:
    """Write the report of ``run_path`` to ``output`` (default ``<run>/report.html``) atomically (the CLI:
    the machine's own user). The app never writes a report: it serves ``report_for`` as a download."""
    run = open_run(run_path)
    target = Path(output) if output else run.path / RunFiles.REPORT
    write_text_atomic(target, build_report(run, examples))
    return target


def report_for(run_path: str | Path, user: User, examples: int = EXAMPLES) -> str:
    """The report of ``run_path`` as ``user`` may read it, written nowhere: a teammate may build the report
    of any run, but not into its owner's folder, and without texts they may not see."""
    return build_report(open_run(run_path), examples, user)


def build_report(run: RunDir, examples: int = EXAMPLES, user: User = LOCAL) -> str:
    """The whole report as one HTML string; example texts and slices only when ``user`` may see the texts."""
    from tuneboard.data.slices import slice_table

    metrics = run.metrics()
    if not metrics:
        raise ConfigError(t("report.no_scores", run=run.run_id))
    frame = _predictions(run, metrics) if allowed(user, "view_texts", run.path) else None
    table = slice_table(frame) if frame is not None else None
    decision = decide(metrics, table)
    withheld = "" if frame is not None or not (run.path / RunFiles.PREDICTIONS).is_file() else \
        f"<p class=\"muted\">{html.escape(t('access.report.texts_left_out'))}</p>"
    body = [_first_screen(run, metrics, decision, frame), withheld, details.sections(run, metrics, decision, frame,
                                                                                 table, examples)]
    title = html.escape(t("report.page_title", run=run.run_id))
    return (f"<!DOCTYPE html><html lang=\"{language()}\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>")


def _predictions(run: RunDir, metrics: dict[str, Any]) -> pd.DataFrame | None:
    from tuneboard.data.slices import judge, with_data_columns

    path = run.path / RunFiles.PREDICTIONS
    if not path.is_file():
        return None
    frame = judge(pd.read_parquet(path), metrics)
    try:
        return with_data_columns(frame, run.config())
    except TuneboardError:
        return frame


def _p(text: str, cls: str = "") -> str:
    return f"<p class=\"{cls}\">{html.escape(text)}</p>" if cls else f"<p>{html.escape(text)}</p>"


def _names(values: list[str]) -> str:
    """Class names as a list in words: the first ``SHOWN_LABELS`` quoted, the rest counted."""
    shown = t("report.list_sep").join(t("report.quoted", name=v) for v in values[:SHOWN_LABELS])
    return shown + (t("report.and_more", count=len(values) - SHOWN_LABELS) if len(values) > SHOWN_LABELS else "")


# -- the first screen: a decision ---------------------------------------------------------------------------

def _first_screen(run: RunDir, metrics: dict[str, Any], decision: Decision, frame: pd.DataFrame | None) -> str:
    cfg = run.config()
    when = time.strftime("%Y-%m-%d", time.localtime())
    sub = t("report.generated", data=Path(str(cfg.data)).name, when=when, run=run.run_id)
    return ("<section class=\"first\"><header>"
            f"<h1>{html.escape(t('report.title'))}</h1>{_p(sub, 'muted small')}</header>"
            + _p(what_it_does(metrics, cfg.text_column)) + _verdict(decision, metrics)
            + f"<h3>{html.escape(t('report.how_often'))}</h3>" + _p(how_often(metrics))
            + _example_pair(metrics, frame)
            + f"<h3>{html.escape(t('report.risks'))}</h3>" + _risk_list(decision, metrics) + "</section>")


def what_it_does(metrics: dict[str, Any], column: str | None = None) -> str:
    """The model's job in one plain sentence, with its classes (or the number it predicts)."""
    task = metrics.get("task", "single_label")
    labels = [str(x) for x in metrics.get("labels") or []]
    source = t("report.from_column", column=column) if column else t("report.from_text")
    if task == "regression" or not labels:
        return t("report.does_regression", source=source)
    key = "report.does_multi_label" if task == "multi_label" else "report.does_single_label"
    return t(key, source=source, count=len(labels), labels=_names(labels))


def how_often(metrics: dict[str, Any]) -> str:
    """How often it is right, in words ("about 7 in 10") and in figures, on rows it never trained on."""
    rows = metrics.get("n_val", metrics.get("n", "?"))
    task = metrics.get("task")
    if task == "regression":
        mae = metrics.get("mae")
        return t("report.off_by", mae=figs.fmt("mae", mae), rows=rows) if isinstance(mae, (int, float)) \
            else t("report.no_score")
    key = "subset_accuracy" if task == "multi_label" else "accuracy"
    value = metrics.get(key)
    if not isinstance(value, (int, float)):
        return t("report.no_score")
    tens = round(value * 10)
    return t("report.right_multi" if task == "multi_label" else "report.right_single", tens=tens,
             value=figs.fmt(key, value), rows=rows)


def _verdict(decision: Decision, metrics: dict[str, Any]) -> str:
    metric = decision.metric or ""
    higher = metrics.get("higher_is_better", True)
    values = {"ours": figs.fmt(metric, decision.score), "base": figs.fmt(metric, decision.baseline),
              "metric": figs.name(metric), "min": figs.fmt("accuracy", MIN_SCORE if higher else MIN_R2)}
    reason = decision.reason
    if reason == "good" and decision.baseline is None:
        reason = "good_alone"
    if reason == "weak_class":
        worst = next(r for r in decision.risks if r.kind == "weak_class")
        values.update(name=worst.subject, recall=figs.fmt("recall", worst.value), rows=worst.rows)
    if reason == "low_score" and not higher:
        values.update(r2=figs.fmt("r2", metrics.get("r2")))
        reason = "low_r2"
    why = t(f"report.reason_{reason}", **values)  # each reason uses some of the values
    explain = "" if not metric else _p(t("report.score_means", metric=figs.name(metric),
                                         meaning=t(f"report.explain_{metric}")), "small muted")
    if metrics.get("model_kind") == BASELINE_MODEL:
        explain += _p(t("report.is_baseline"), "small muted")
    return (f"<div class=\"verdict {decision.verdict}\"><b class=\"call\">"
            f"{html.escape(t(f'report.call_{decision.verdict}'))}</b>{_p(why)}{explain}</div>")


def _example_pair(metrics: dict[str, Any], frame: pd.DataFrame | None) -> str:
    """The most confident right call and the most confident mistake, shortened."""
    if frame is None or "correct" not in frame or metrics.get("task") == "regression" or frame.empty:
        return ""
    ranked = frame.sort_values("confidence", ascending=False)
    cards = []
    for ok, rows in ((True, ranked[ranked["correct"]]), (False, ranked[~ranked["correct"]])):
        if rows.empty:
            continue
        row = rows.iloc[0]
        text = str(row["text"])
        text = text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"
        line = t("report.example_right" if ok else "report.example_wrong", predicted=str(row["predicted"]),
                 label=str(row["label"]), sure=f"{row['confidence']:.0%}")
        cards.append(f"<div class=\"example\"><div class=\"{'right' if ok else 'wrong'}\"><b>"
                     f"{html.escape(t('report.a_right_one' if ok else 'report.a_wrong_one'))}</b></div>"
                     f"<div>“{html.escape(text)}”</div><div class=\"muted small\">{html.escape(line)}</div></div>")
    return f"<div class=\"pairs\">{''.join(cards)}</div>"


def risk_text(risk: Risk, metrics: dict[str, Any]) -> str:
    """One risk in one plain sentence."""
    if risk.kind == "weak_class":
        return t("report.risk_weak_class", name=risk.subject, recall=figs.fmt("recall", risk.value), rows=risk.rows)
    if risk.kind == "slice":
        by, value = slice_words(*risk.subject)
        return t("report.risk_slice", by=by, value=value, accuracy=figs.fmt("accuracy", risk.value),
                 rows=risk.rows, overall=figs.fmt("accuracy", metrics.get("accuracy")))
    if risk.kind == "calibration":
        return t(f"report.risk_calibration_{risk.subject}", said=f"{risk.extra['said']:.0%}",
                 right=f"{risk.extra['right']:.0%}")
    return t("report.risk_small_validation", rows=risk.rows)


def _risk_list(decision: Decision, metrics: dict[str, Any]) -> str:
    if not decision.risks:
        return _p(t("report.no_risks"))
    items = "".join(f"<li>{html.escape(risk_text(r, metrics))}</li>" for r in decision.top_risks)
    more = len(decision.risks) - len(decision.top_risks)
    return f"<ul class=\"risks\">{items}</ul>" + (_p(t("report.more_risks", count=more), "muted small") if more else "")
