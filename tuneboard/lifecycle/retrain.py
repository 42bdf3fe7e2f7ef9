"""Retrain a served model on what was labeled since, and let a gate decide whether it becomes the candidate.

``start_retrain`` joins the production run's training table with the texts labeled on Monitor (its
feedback file) and the labeling store's tables (files with a ``label_source`` column), newest label
winning for a text, and queues a run with the production run's settings on that union through the
normal queue. When the run ends, ``settle`` scores production and the new run on the team's fixed
evaluation file, slices included, and asks the pure gate (``gate.judge``) for a verdict; the verdict and its
numbers are kept in the new run's folder (``gate.json``). A passing run is marked ``candidate`` in the
registry when a model name was given: that one call is ``mark_candidate``.

Who may: the production run's owner or an admin (``feedback``: the labeled texts are the owner's clients',
and the new run is trained on them).
"""
from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from tuneboard.errors import DataError, TuneboardError
from tuneboard.files import locked, read_json, update_json, write_text_atomic
from tuneboard.i18n import t
from tuneboard.lifecycle.gate import GateSettings, Verdict, judge, rule_fires
from tuneboard.paths import RunFiles
from tuneboard.protocol import ACTIVE, FINAL, HAS_MODEL, scalars
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.runs.receipt import LABEL_SOURCE
from tuneboard.team.access import LOCAL, User, check

GATE_FILE = RunFiles.GATE  # in the retrained run's folder: the settings, then the verdict and its numbers
RETRAIN_FILE = "retrain.json"  # in the production run's folder: the gate's settings and the last retraining
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet", ".jsonl", ".json")
PERSON, IMPORTED = "person", "imported"


def evaluation_files(production: RunDir) -> list[Path]:
    """The files a team may fix as the evaluation set: the production run's validation file, then the tables
    kept in the datasets folder (corrected copies, labeling exports). Never a path typed in a browser."""
    from tuneboard.evaluate.corrections import datasets_dir

    cfg = production.config()
    own = [Path(str(cfg.validation))] if cfg.validation and Path(str(cfg.validation)).is_file() else []
    folder = datasets_dir()
    kept = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES) \
        if folder.is_dir() else []
    return [*own, *kept]


def labeled_tables() -> list[Path]:
    """The tables in the datasets folder that carry a ``label_source`` column (the labeling store's exports)."""
    from tuneboard.evaluate.corrections import datasets_dir

    folder = datasets_dir()
    found = []
    for p in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                if LABEL_SOURCE in f.readline():
                    found.append(p)
        except OSError:
            continue
    return found


def read_settings(production: RunDir) -> dict[str, Any]:
    """What ``retrain.json`` holds: ``settings`` (a ``GateSettings`` dict), ``labels_seen``, ``last`` (run id)."""
    try:
        return read_json(production.path / RETRAIN_FILE)
    except (OSError, ValueError):
        return {}


def save_settings(production: RunDir, settings: GateSettings, user: User = LOCAL,
                  tables: Sequence[str | Path] = ()) -> None:
    """Keep the gate's settings (and the labeled tables to add) with the production run."""
    check(user, "feedback", production.path)
    _check_files(production, settings.eval_file, tables)
    update_json(production.path / RETRAIN_FILE,
                lambda d: d.update(settings=settings.to_dict(), tables=[str(p) for p in tables]))


def new_labels(production: RunDir, tables: Sequence[str | Path] = ()) -> int:
    """Labeled rows that arrived since the last retraining (Monitor's feedback plus the labeled tables)."""
    return max(0, _labeled_rows(production, tables) - int(read_settings(production).get("labels_seen", 0)))


def start_retrain(production: RunDir, settings: GateSettings, registry: Any, user: User = LOCAL,
                  tables: Sequence[str | Path] = (), model_name: str | None = None) -> RunDir:
    """Queue a run with ``production``'s settings on the union of its data and the new labels; the gate
    judges it when it ends. ``registry``: the queue (``train.RunRegistry``). Returns the new run."""
    check(user, "feedback", production.path)
    _check_files(production, settings.eval_file, tables)
    pending = latest(production, user)
    if pending and pending.get("state") == "pending":
        raise DataError(t("receipts.err.retrain_pending", run_id=pending.get("run_id")))
    table, text_col, label_col, rows = union_table(production, tables)
    model_name = model_name or production_name(production.run_id)
    cfg = production.config()
    cfg = cfg.replace(data=str(table), text_column=text_col, label_column=label_col, output_dir=cfg.output_dir,
                      run_name=f"retrain-{Path(str(cfg.data)).stem}"[:40], extra={**cfg.extra,
                                                                                  "retrain_of": production.run_id})
    live = registry.submit(cfg, user=user)
    candidate = live.run
    candidate.write_json(GATE_FILE, {"state": "pending", "settings": settings.to_dict(), "run_id": candidate.run_id,
                                     "production": str(production.path), "production_id": production.run_id,
                                     "model_name": model_name, "rows": rows, "by": user.id,
                                     "started_at": time.time()})
    seen = _labeled_rows(production, tables)
    update_json(production.path / RETRAIN_FILE, lambda d: d.update(
        settings=settings.to_dict(), labels_seen=seen, last=str(candidate.path), tables=[str(p) for p in tables]))
    threading.Thread(target=_settle_when_done, args=(registry, candidate, user), daemon=True,
                     name=f"gate-{candidate.run_id}").start()
    return candidate


def maybe_retrain(production: RunDir, registry: Any, user: User = LOCAL,
                  drift_psi: float | None = None) -> RunDir | None:
    """Start a retraining when the saved rule asks for one (and none is pending); else None."""
    saved = read_settings(production)
    if not saved.get("settings"):
        return None
    settings = GateSettings.from_dict(saved["settings"])
    tables = saved.get("tables") or []
    last = latest(production, user)
    if (last and last.get("state") == "pending") or not rule_fires(settings, new_labels(production, tables),
                                                                   drift_psi):
        return None
    return start_retrain(production, settings, registry, user, tables, saved.get("model_name"))


def latest(production: RunDir, user: User | None = None) -> dict[str, Any] | None:
    """The gate record of ``production``'s last retraining (judged now if its run has ended), or None."""
    last = read_settings(production).get("last")
    if not last or not Path(last).is_dir():
        return None
    return settle(RunDir(Path(last)), user)


def settle(candidate: RunDir, user: User | None = None) -> dict[str, Any] | None:
    """The gate record in ``candidate``'s folder; a pending one whose run has ended is judged first (once:
    under the folder's lock, whoever asks first -- the waiting thread or a page after a restart)."""
    path = candidate.path / GATE_FILE
    with locked(candidate.path):
        try:
            record = read_json(path)
        except (OSError, ValueError):
            return None
        if record.get("state") != "pending":
            return record
        status = candidate.status().get("status")
        if status not in FINAL:
            return record
        if status not in HAS_MODEL:
            record.update(state="no_model", status=str(status))
        else:
            record.update(_judged(candidate, record, user or _user(record)))
        record["settled_at"] = time.time()
        candidate.write_json(GATE_FILE, record)
        return record


def production_name(run_id: str) -> str | None:
    """The named model whose production version is this run, if one is (its retrained run becomes the candidate
    there when it passes the gate)."""
    from tuneboard.registry import list_models

    try:
        return next((m.name for m in list_models() if (v := m.alias("production")) and v.run_id == run_id), None)
    except (TuneboardError, OSError):
        return None


def mark_candidate(run_id: str, model_name: str, user: User) -> dict[str, Any]:
    """The registry step: promote the run to ``model_name`` as its ``candidate``. Kept apart so the gate's
    decision never depends on the registry being there."""
    try:
        from tuneboard.registry import promote
    except ImportError:
        return {"done": False, "reason": "no registry"}
    try:
        version = promote(run_id, model_name, user, alias="candidate")
    except TuneboardError as e:
        return {"done": False, "reason": str(e)}
    return {"done": True, "model": model_name, "version": str(version)}


def verdict_words(record: dict[str, Any] | None) -> tuple[str, str]:
    """(level: info / success / warning / error, one sentence in the reader's language) for a gate record."""
    if not record:
        return "info", t("receipts.gate.none")
    state = record.get("state")
    if state == "pending":
        return "info", t("receipts.gate.pending", rows=f"{sum((record.get('rows') or {}).values()):,}")
    if state == "no_model":
        return "error", t("receipts.gate.no_model", status=record.get("status"))
    if state == "error":
        return "error", t("receipts.gate.error", reason=record.get("reason"))
    v = Verdict(**record["verdict"])
    name = Path(str((record.get("settings") or {}).get("eval_file"))).name
    numbers = dict(metric=v.metric, candidate=f"{v.candidate:.3f}", production=f"{v.production:.3f}", file=name,
                   margin=f"{v.margin:.0%}")
    if v.passed:
        where = t("receipts.gate.registered", model=record["registry"]["model"]) \
            if (record.get("registry") or {}).get("done") else t("receipts.gate.not_registered")
        return "success", t("receipts.gate.passed", where=where, **numbers)
    if v.reason == "slice_drop":
        worst = v.drops[0] if v.drops else v.worst_slice or {}
        return "warning", t("receipts.gate.slice_drop", slice=f"{worst.get('by')} = {worst.get('value')}",
                            drop=f"{worst.get('drop', 0):.0%}", **numbers)
    return "warning", t("receipts.gate.not_better", **numbers)


def union_table(production: RunDir, tables: Sequence[str | Path] = ()) -> tuple[Path, str, str, dict[str, int]]:
    """Write the production run's training rows plus every labeled row since (Monitor's feedback, the
    labeling store's tables) as one CSV in the datasets folder; a text labeled twice keeps its newest label.
    Returns the file, its text and label columns, and the rows each source gave."""
    import pandas as pd

    from tuneboard.data.prepare import detect_columns
    from tuneboard.data.readers import read_table
    from tuneboard.evaluate.corrections import datasets_dir
    from tuneboard.files import private_dir
    from tuneboard.serve.monitor import feedback_path

    cfg = production.config()
    base, _ = read_table(cfg.data, encoding=cfg.encoding, sheet=cfg.sheet)
    guessed = detect_columns(base)
    text_col, label_col = cfg.text_column or guessed[0], cfg.label_column or guessed[1]
    if not text_col or not label_col:
        raise DataError(t("receipts.err.union_columns", name=Path(str(cfg.data)).name))
    parts = [_labeled(base, text_col, label_col, IMPORTED)]
    feedback = feedback_path(production.path)
    sources = {"training": len(parts[0])}
    if feedback.is_file():
        parts.append(_labeled(pd.read_csv(feedback, dtype=str, keep_default_na=False), "text", "label", PERSON))
        sources["monitor"] = len(parts[-1])
    for table in tables:
        df, _ = read_table(table)
        cols = (text_col, label_col) if {text_col, label_col} <= set(df.columns) else \
            ("text", "label") if {"text", "label"} <= set(df.columns) else detect_columns(df)
        parts.append(_labeled(df, cols[0], cols[1], IMPORTED))
        sources[Path(table).name] = len(parts[-1])
    union = pd.concat(parts, ignore_index=True)
    union = union[union["_key"] != ""].drop_duplicates("_key", keep="last").drop(columns="_key")
    union = union.rename(columns={"text": text_col, "label": label_col})
    folder = private_dir(datasets_dir() / "retrain")  # apart: not offered as an evaluation file or a labeled table
    path = folder / f"{Path(str(cfg.data)).stem}-retrain-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.csv"
    write_text_atomic(path, union.to_csv(index=False))
    return path, text_col, label_col, sources


def _labeled(df: Any, text_col: str, label_col: str, default_source: str) -> Any:
    """``text``, ``label``, ``label_source`` (the table's own, else ``default_source``) and a match key."""
    import pandas as pd

    out = pd.DataFrame({"text": df[text_col].astype(str), "label": df[label_col].fillna("").astype(str)})
    src = df[LABEL_SOURCE].fillna("").astype(str) if LABEL_SOURCE in df.columns else pd.Series("", index=df.index)
    out[LABEL_SOURCE] = src.where(src.str.strip() != "", default_source).to_numpy()
    out = out[out["label"].str.strip() != ""]
    return out.assign(_key=out["text"].str.strip())


def _labeled_rows(production: RunDir, tables: Sequence[str | Path]) -> int:
    from tuneboard.serve.monitor import feedback_path

    def rows(path: Path) -> int:
        try:
            with open(path, "rb") as f:
                return max(0, sum(1 for _ in f) - 1)  # a count of lines, not a parse: the rule asks often
        except OSError:
            return 0

    return rows(feedback_path(production.path)) + sum(rows(Path(p)) for p in tables)


def _check_files(production: RunDir, eval_file: str, tables: Sequence[str | Path]) -> None:
    """The evaluation file and the tables must be ones the engine offered: a browser never names a path."""
    allowed = {str(p.resolve()) for p in evaluation_files(production)}
    if str(Path(eval_file).resolve()) not in allowed:
        raise DataError(t("receipts.err.eval_file", name=Path(eval_file).name))
    offered = {str(p.resolve()) for p in labeled_tables()}
    for table in tables:
        if str(Path(table).resolve()) not in offered:
            raise DataError(t("receipts.err.table", name=Path(table).name))


def _judged(candidate: RunDir, record: dict[str, Any], user: User) -> dict[str, Any]:
    """Score both runs on the evaluation file and judge; an unreadable file becomes a reason, not a crash."""
    from tuneboard.data.slices import slice_table
    from tuneboard.evaluate.evaluation import evaluate_rows
    from tuneboard.predict.metrics import main_metric

    settings = GateSettings.from_dict(record["settings"])
    try:
        production = open_run(record["production"])
        before, before_rows = evaluate_rows(production.path, settings.eval_file)
        after, after_rows = evaluate_rows(candidate.path, settings.eval_file)
    except TuneboardError as e:
        return {"state": "error", "reason": str(e)}
    metric, higher = main_metric(before["task"])

    def slices(rows: Any) -> list[dict[str, Any]]:
        return [] if rows is None else slice_table(rows).to_dict("records")

    verdict = judge(before, after, metric, higher, settings, slices(before_rows), slices(after_rows))
    out: dict[str, Any] = {"state": "judged", "verdict": verdict.to_dict(), "production_metrics": scalars(before),
                           "candidate_metrics": scalars(after)}
    if verdict.passed and record.get("model_name"):
        out["registry"] = mark_candidate(candidate.run_id, record["model_name"], user)
    return out


def _user(record: dict[str, Any]) -> User:
    """Who asked for the retraining (a page that judges it after a restart acts for them)."""
    by = record.get("by")
    return LOCAL if not by or by == LOCAL.id else User(str(by))


def _settle_when_done(registry: Any, candidate: RunDir, user: User) -> None:
    """The gate's own thread: wait for the run to end, then judge it (never raises: it runs unattended)."""
    try:
        while registry.wait(candidate.run_id, timeout=30.0) in ACTIVE:
            if candidate.status().get("status") not in ACTIVE:  # ended in another process
                break
        settle(candidate, user)
    except Exception:  # noqa: BLE001, S110 -- the page settles it on its next look (``latest``)
        pass
