"""Named models on screen: the Models page's list, versions, history and controls; serving a name on Deploy;
production against the candidate on Monitor. Every change goes through the engine, which checks who may."""
from __future__ import annotations

import datetime
from typing import Any, Callable

import pandas as pd
import streamlit as st

from components import lang
from components.auth import current_user
from components.tables import show_table
from components.widgets import headline, plain, run_label, show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.registry import ALIASES, CANARY, CANDIDATE, PRODUCTION, TRAFFIC, Model, Registry
from tuneboard.team import access


def act(change: Callable[[], Any], done: str) -> None:
    """Run a registry change; remember its one line for the next rerun (or show why it was refused)."""
    try:
        change()
        st.session_state["registry_done"] = done
        st.rerun()
    except TuneboardError as e:
        show_error(e)


def done_notice() -> None:
    if "registry_done" in st.session_state:
        st.success(plain(st.session_state.pop("registry_done")), icon=":material/check:")  # names a model


def may_change(model: Model) -> bool:
    return access.can(current_user(), "deploy", model.owner)


def pick_model(key: str) -> Model | None:
    """A select box over the names (None, with a hint, when there is none yet)."""
    models = {m.name: m for m in Registry().list_models()}
    if not models:
        st.info(t("registry.ui.no_models"))
        return None
    if st.session_state.get(key) not in models:
        st.session_state[key] = next(iter(models))
    name = st.selectbox(t("registry.ui.model"), list(models), key=key)
    return models[name]


NONE = "—"  # not "-": a table cell starting with a minus would be escaped as a spreadsheet formula


def relabeled(key: str) -> str:
    """``key`` of a choice widget whose labels are translated: the language switcher forgets it (as it does the
    sticky widgets), so it is drawn afresh in the new language instead of keeping the old label."""
    st.session_state.setdefault("_sticky", {}).setdefault(key, None)
    return key


def has_models() -> bool:
    """Whether any name exists (Monitor opens its comparison then)."""
    return bool(Registry().list_models())


def short(label: str | None) -> str:
    """``ticket-router/3`` as a big number shows it: ``v3`` (the name is in the select box above)."""
    return f"v{label.rsplit('/', 1)[1]}" if label else NONE


def when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def promote_form(runs: list[dict[str, Any]]) -> None:
    """Promote a finished run to a name (new or existing), optionally as production or candidate."""
    with st.form("models_promote_form", border=True):
        st.markdown(f"**{t('registry.ui.promote_title')}**")
        ids = [r["run_id"] for r in runs]
        labels = {r["run_id"]: run_label(r) for r in runs}
        run_id = st.selectbox(t("registry.ui.run"), ids, format_func=labels.__getitem__, key="models_run")
        left, right = st.columns(2)
        name = left.text_input(t("registry.ui.name"), key="models_name", placeholder="ticket-router",
                               help=t("registry.ui.name_help"))
        st.session_state.setdefault("models_alias", "")  # again after a language switch forgot it
        names = {"": t("registry.alias.none"), **{a: t(f"registry.alias.{a}") for a in ALIASES}}  # this run's language
        alias = right.selectbox(t("registry.ui.alias"), list(names), key=relabeled("models_alias"),
                                format_func=names.__getitem__)
        note = st.text_input(t("registry.ui.note"), key="models_note")
        if st.form_submit_button(t("registry.ui.promote"), type="primary", icon=":material/upgrade:"):
            act(lambda: Registry().promote(run_id, name.strip(), current_user(), alias=alias or None, note=note),
                t("registry.ui.promoted", name=name.strip()))


def versions_table(model: Model) -> None:
    rows = [{t("registry.col.version"): v.version, t("registry.col.aliases"):
             ", ".join(t(f"registry.alias.{a}") for a in v.aliases), t("registry.col.run"): v.run_id,
             t("registry.col.by"): v.created_by, t("registry.col.when"): when(v.created_at),
             t("registry.col.note"): v.note} for v in reversed(model.versions)]
    show_table(pd.DataFrame(rows), hide_index=True)


def history_table(name: str) -> None:
    rows = [{t("registry.col.when"): when(e.at), t("registry.col.by"): e.user,
             t("registry.col.action"): t(f"registry.action.{e.action}"),
             t("registry.col.alias"): t(f"registry.alias.{e.alias}") if e.alias else "",
             t("registry.col.change"): f"{e.from_version or NONE} → {e.to_version or NONE}",
             t("registry.col.note"): traffic_note(e.note) if e.action == "traffic" else e.note}
            for e in reversed(Registry().history(name))]
    show_table(pd.DataFrame(rows), hide_index=True)


def traffic_note(note: str) -> str:
    """A traffic change's note (``canary 50%``, written by the engine) in the reader's language."""
    mode, _, percent = note.partition(" ")
    return f"{t(f'registry.traffic.{mode}')} {percent}" if mode in TRAFFIC else note


def alias_controls(model: Model) -> None:
    """Point an alias at a version, roll back, stop comparing, and choose how the candidate sees traffic."""
    user, reg = current_user(), Registry()
    numbers = [v.version for v in reversed(model.versions)]
    version = st.selectbox(t("registry.ui.version"), numbers, key="models_version")
    make_prod, make_cand, back, clear = st.columns(4)
    if make_prod.button(t("registry.ui.make_production"), key="models_make_production", type="primary"):
        act(lambda: reg.set_alias(model.name, version, PRODUCTION, user),
            t("registry.ui.now", label=f"{model.name}/{version}", alias=t("registry.alias.production")))
    if make_cand.button(t("registry.ui.make_candidate"), key="models_make_candidate"):
        act(lambda: reg.set_alias(model.name, version, CANDIDATE, user),
            t("registry.ui.now", label=f"{model.name}/{version}", alias=t("registry.alias.candidate")))
    if back.button(t("registry.ui.rollback"), key="models_rollback", icon=":material/undo:"):
        act(lambda: reg.rollback(model.name, user), t("registry.ui.rolled_back", name=model.name))
    if clear.button(t("registry.ui.clear_candidate"), key="models_clear", disabled=CANDIDATE not in model.aliases):
        act(lambda: reg.clear_alias(model.name, CANDIDATE, user), t("registry.ui.cleared", name=model.name))
    left, right = st.columns(2)
    modes = {m: t(f"registry.traffic.{m}") for m in TRAFFIC}  # this run's language
    st.session_state.setdefault("models_traffic", model.traffic)  # again after a language switch forgot it
    traffic = left.radio(t("registry.ui.traffic"), TRAFFIC, horizontal=True,
                         key=relabeled("models_traffic"), format_func=modes.__getitem__,
                         help=t("registry.ui.traffic_help"))
    percent = right.number_input(t("registry.ui.percent"), 0, 100, model.canary_percent, step=5,
                                 key="models_percent", disabled=traffic != CANARY)
    if (traffic, int(percent)) != (model.traffic, model.canary_percent) and \
            st.button(t("registry.ui.apply_traffic"), key="models_apply_traffic"):
        act(lambda: reg.set_traffic(model.name, traffic, int(percent), user),
            t("registry.ui.traffic_set", name=model.name))


def comparison_panel(compare: Callable[[str], Any]) -> None:
    """Monitor: production against the candidate of a name, the verdict, and Promote candidate / Roll back."""
    st.subheader(t("registry.ui.compare_title"))
    model = pick_model("monitor_model")
    if model is None:
        return
    done_notice()
    c = compare(model.name)
    p, q = c.production, c.candidate
    headline({t("registry.ui.production"): short(p.label), t("registry.ui.candidate"): short(q.label),
              t("registry.ui.compared"): f"{min(p.rows, q.rows):,}",
              t("registry.ui.agreement"): f"{c.agreement:.0%}" if c.agreement is not None else NONE})
    if q.label and c.mode:
        show_table(side_table(c), hide_index=True)
    alert = {"promote": st.success, "safe": st.success, "keep": st.warning, "label": st.warning}.get(c.verdict, st.info)
    with st.container(key="monitor_verdict"):
        alert(plain(c.message), icon=":material/gavel:")
    if not may_change(model):
        st.caption(t("registry.ui.owner_only"))
        return
    user, reg = current_user(), Registry()
    left, right = st.columns(2)
    if left.button(t("registry.ui.promote_candidate"), key="monitor_promote", type="primary",
                   disabled=q.label is None, icon=":material/upgrade:"):
        act(lambda: reg.set_alias(model.name, model.aliases[CANDIDATE], PRODUCTION, user),
            t("registry.ui.now", label=q.label, alias=t("registry.alias.production")))
    if right.button(t("registry.ui.rollback"), key="monitor_rollback", icon=":material/undo:"):
        act(lambda: reg.rollback(model.name, user), t("registry.ui.rolled_back", name=model.name))


def side_table(c: Any) -> pd.DataFrame:
    """One row per version: answered, mean confidence, latency, label mix, accuracy on labeled texts."""
    def row(side: Any, role: str) -> dict[str, Any]:
        mix = ", ".join(f"{k} {n / max(side.rows, 1):.0%}" for k, n in
                        sorted(side.label_counts.items(), key=lambda kv: -kv[1])[:4])
        return {t("registry.col.role"): t(f"registry.alias.{role}"), t("registry.col.version"): side.label,
                t("registry.col.rows"): side.rows,
                t("registry.col.confidence"): f"{side.confidence:.2f}" if side.confidence is not None else NONE,
                t("registry.col.p50"): f"{side.p50_ms:.1f} ms" if side.p50_ms is not None else NONE,
                t("registry.col.p95"): f"{side.p95_ms:.1f} ms" if side.p95_ms is not None else NONE,
                t("registry.col.mix"): mix,
                t("registry.col.accuracy"): (f"{side.accuracy:.0%} ({side.labeled})" if side.accuracy is not None
                                             else NONE)}

    return pd.DataFrame([row(c.production, PRODUCTION), row(c.candidate, CANDIDATE)])


def deploy_named() -> None:
    """Deploy: serve a name (its production version, swapped in place when it moves) instead of one run."""
    from tuneboard.serve import deploy, named_id

    model = pick_model("deploy_model")
    if model is None:
        st.stop()
    done_notice()
    dep_id = named_id(model.name)
    current = deploy.get_deployment(dep_id)
    if may_change(model):
        start, stop = st.columns(2)
        if start.button(t("deploy.start"), key="deploy_named_start", type="primary", disabled=current is not None,
                        icon=":material/play_arrow:"):
            act(lambda: deploy.start_named(model.name, user=current_user()), t("registry.ui.starting", name=model.name))
        if stop.button(t("deploy.stop"), key="deploy_named_stop", disabled=current is None, icon=":material/stop:"):
            act(lambda: deploy.stop_named(model.name, user=current_user()), t("registry.ui.stopped", name=model.name))
    else:
        st.caption(t("registry.ui.owner_only"))
    named_status(dep_id)


@st.fragment(run_every=2)
@lang.localized
def named_status(dep_id: str) -> None:
    from tuneboard.serve import deploy

    dep = deploy.get_deployment(dep_id)
    if dep is None:
        st.info(t("deploy.not_deployed"))
        return
    alive = deploy.health(dep, timeout=0.5)
    headline({t("deploy.status"): t("deploy.serving") if alive else t("deploy.starting"),
              t("registry.ui.serving_version"): (alive or {}).get("version") or NONE,
              t("registry.ui.candidate"): (alive or {}).get("candidate") or NONE})
    with st.container(key="deploy_url"):
        st.code(dep.url, language=None)
    if alive is None:
        st.caption(t("deploy.loading"))
        st.code(deploy.log_tail(dep) or t("deploy.nothing_yet"), language=None)
