"""Monitor's Retrain panel: the gate's settings (evaluation file, slice margin, rule), the Retrain button and the
gate's verdict in plain words, refreshed while the new run trains. The engine does and checks everything
(``tuneboard.lifecycle``: who may, which files, the verdict); this draws it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from components import auth, lang, state
from components.widgets import guard, plain
from tuneboard.i18n import t
from tuneboard.lifecycle import (
    RULES,
    GateSettings,
    evaluation_files,
    labeled_tables,
    latest,
    maybe_retrain,
    new_labels,
    read_settings,
    save_settings,
    start_retrain,
    verdict_words,
)

SHOW = {"info": st.info, "success": st.success, "warning": st.warning, "error": st.error}
REFRESH_S = 1.0


def retrain_panel(run: Any) -> None:
    """The panel for the served run ``run``; only its owner or an admin sees it (they may retrain it)."""
    if not auth.allowed("feedback", run.path):
        return
    follow_rule(run)  # every N new labels: also from the labeling store's tables, before any traffic
    record = latest(run, auth.current_user())
    with st.expander(t("receipts.ui.title"), icon=":material/model_training:", expanded=record is not None):
        with guard():
            _settings_and_buttons(run)
        pending = bool(record and record.get("state") == "pending")
        st.fragment(run_every=REFRESH_S if pending else None)(lang.localized(_verdict))(str(run.path), pending)


def follow_rule(run: Any, drift_psi: float | None = None) -> bool:
    """Start a retraining when the saved rule asks for one (every N new labels; drift past its threshold);
    returns whether it did."""
    rule = (read_settings(run).get("settings") or {}).get("rule", "click")
    if rule == "click" or not auth.allowed("feedback", run.path):
        return False
    with guard():
        if maybe_retrain(run, state.registry(), auth.current_user(), drift_psi) is not None:
            st.toast(t("receipts.ui.rule_started"), icon=":material/model_training:")
            return True
    return False


def _settings_and_buttons(run: Any) -> None:
    files = evaluation_files(run)
    if not files:
        st.info(t("receipts.ui.no_eval_files"))
        return
    saved = read_settings(run).get("settings") or {}
    names = [str(p) for p in files]
    at = names.index(saved["eval_file"]) if saved.get("eval_file") in names else 0
    eval_file = st.selectbox(t("receipts.ui.eval_file"), names, index=at, key="monitor_retrain_eval",
                             format_func=lambda p: Path(p).name, help=t("receipts.ui.eval_file_help"))
    left, right = st.columns(2)
    margin = left.number_input(t("receipts.ui.margin"), min_value=0, max_value=100, step=1,
                               value=round(100 * saved.get("margin", 0.05)), key="monitor_retrain_margin",
                               help=t("receipts.ui.margin_help"))
    # sticky: a choice shown in words is drawn afresh after a language switch (see components/lang.py)
    rule = right.selectbox(t("receipts.ui.rule"), RULES, format_func=lambda r: t(f"receipts.ui.rule.{r}"),
                           **state.sticky("monitor_retrain_rule", saved.get("rule", "click")))
    every_n, drift = int(saved.get("every_n", 50)), float(saved.get("drift_psi", 0.25))
    if rule == "every_n":
        every_n = right.number_input(t("receipts.ui.every_n"), min_value=1, value=every_n, step=10,
                                     key="monitor_retrain_every_n")
    elif rule == "drift":
        drift = right.number_input(t("receipts.ui.drift"), min_value=0.01, value=drift, step=0.05,
                                   key="monitor_retrain_drift")
    found = [str(p) for p in labeled_tables()]
    kept = [p for p in read_settings(run).get("tables") or [] if p in found]
    tables = st.multiselect(t("receipts.ui.tables"), found, default=kept, format_func=lambda p: Path(p).name,
                            key="monitor_retrain_tables",
                            placeholder=t("receipts.ui.tables_pick" if found else "receipts.ui.tables_none"))
    st.caption(t("receipts.ui.new_labels", rows=f"{new_labels(run, tables):,}"))
    settings = GateSettings(eval_file=eval_file, margin=margin / 100, rule=rule, every_n=int(every_n),
                            drift_psi=float(drift))
    go, keep = st.columns(2)
    if go.button(t("receipts.ui.retrain"), key="monitor_retrain", type="primary", icon=":material/model_training:"):
        start_retrain(run, settings, state.registry(), auth.current_user(), tables)
        st.rerun()
    if keep.button(t("receipts.ui.save"), key="monitor_retrain_save", icon=":material/save:"):
        save_settings(run, settings, auth.current_user(), tables)
        st.toast(t("receipts.ui.saved"), icon=":material/save:")
        if follow_rule(run):  # the labels may already be enough
            st.rerun()


def _verdict(run_path: str, was_pending: bool) -> None:
    from tuneboard.runs import RunDir

    with guard():
        record = latest(RunDir(Path(run_path)), auth.current_user())
        if was_pending and not (record and record.get("state") == "pending"):
            st.rerun()  # the verdict is in: the whole panel (and its refreshing) catches up
        level, words = verdict_words(record)
        SHOW[level](plain(words), icon=":material/gavel:")
        if record and record.get("state") == "judged":
            st.caption(t("receipts.ui.kept_in", run=plain(record.get("run_id", ""))))
