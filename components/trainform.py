"""Widgets of the Train page: model picker and card, preset and advanced settings, Start."""
from __future__ import annotations

from typing import Any

import streamlit as st

from tuneboard.config import DEFAULT_PRESET, PRESETS, TrainConfig
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.settings import SETTINGS, Setting, form_groups, widget_args

from . import auth, cache, state
from .state import Dataset, sticky
from .widgets import error_text, fmt_count

OTHER = "__other__"
# Widget key of each setting on the form (every row of the settings table with a ``group``); ``model_source`` and
# ``preset`` are stable keys tests and users rely on.
FORM = tuple(s.name for _, settings in form_groups() for s in settings)
KEYS = {name: f"train_{name}" for name in FORM} | {"preset": "preset"}
MODEL_PICK, MODEL_SOURCE = "train_model_pick", "model_source"
METHOD = "train_method"  # how the run trains: TrainConfig.trainer
DELIBERATE = "_model_deliberate"  # session key: the data the person chose the model for themselves


def use_dataset(chosen: Dataset) -> None:
    """Make ``chosen`` the data the form trains on (the Data page and the mistakes view call this)."""
    state.set_dataset(chosen)


def prefill(config: TrainConfig) -> None:
    """Fill the form with a run's model and settings; the widgets show them the next time the page is drawn."""
    values = {MODEL_PICK: config.model, MODEL_SOURCE: config.model}
    values |= {key: getattr(config, name) for name, key in KEYS.items()}
    values[METHOD] = config.trainer if config.trainer != "distill" else "finetune"
    for key, value in values.items():
        st.session_state["_sticky"][key] = value
        st.session_state.pop(key, None)  # a widget not drawn yet takes its value from ``sticky``
    st.session_state[DELIBERATE] = config.data  # the run's own model, on purpose: no automatic choice over it


def set_model(source: str) -> None:
    """Put ``source`` in the model box (drawn or not yet)."""
    for key in (MODEL_PICK, MODEL_SOURCE):
        st.session_state["_sticky"][key] = source
        st.session_state.pop(key, None)


def chosen_model() -> tuple[str, int]:
    """The model source and max length chosen on the form (the bundled model and the preset's until then)."""
    saved = st.session_state.get("_sticky", {})
    max_length = saved.get(KEYS["max_length"]) or PRESETS[DEFAULT_PRESET]["max_length"]
    return str(saved.get(MODEL_SOURCE) or "default").strip(), int(max_length)


def model_picker(extra: dict[str, str] | None = None) -> str:
    """A list of known models (plus ``extra``: source -> label) that fills an editable source box (any local
    folder or hub id works)."""
    from tuneboard.model import list_local_models

    options = {"default": t("train.model_default"), BASELINE_MODEL: t("train.model_baseline")}
    options |= {m.location: t("train.model_local", name=m.name) for m in list_local_models()[:20]}
    options |= extra or {}
    options[OTHER] = t("train.model_other")
    sticky(MODEL_PICK, "default")
    # The list follows the box: a model typed (or set by another page) shows as itself or as "Another…",
    # not as the default still picked above it. "Another…" stays while the user types.
    typed = str(st.session_state.get(MODEL_SOURCE, st.session_state["_sticky"].get(MODEL_SOURCE, "default"))).strip()
    if st.session_state[MODEL_PICK] not in (OTHER, typed) or st.session_state[MODEL_PICK] not in options:
        st.session_state[MODEL_PICK] = st.session_state["_sticky"][MODEL_PICK] = typed if typed in options else OTHER
    st.selectbox(t("train.model"), list(options), format_func=options.get, key=MODEL_PICK, on_change=_copy_pick)
    return st.text_input(
        t("train.model_source"), **{**sticky(MODEL_SOURCE, "default"), "on_change": _typed, "args": ()},
        help=t("train.model_source_help", baseline=BASELINE_MODEL),
    ).strip()


def method_picker(source: str) -> str:
    """How to train: automatically (few-shot below some labels per class), the whole model, or few-shot."""
    from tuneboard.train import FEWSHOT_BELOW, TRAINERS

    return st.selectbox(t("fewshot.method"), TRAINERS, format_func=lambda k: t(f"fewshot.method.{k}", n=FEWSHOT_BELOW),
                        help=t("fewshot.method.help", n=FEWSHOT_BELOW), disabled=source == BASELINE_MODEL,
                        **sticky(METHOD, TRAINERS[0]))


def _copy_pick() -> None:
    pick = st.session_state[MODEL_PICK]
    st.session_state["_sticky"][MODEL_PICK] = pick
    if pick != OTHER:
        st.session_state[MODEL_SOURCE] = st.session_state["_sticky"][MODEL_SOURCE] = pick
        _remember(pick)


def _typed() -> None:
    source = str(st.session_state.get(MODEL_SOURCE, "")).strip()
    st.session_state["_sticky"][MODEL_SOURCE] = source
    _remember(source)


def _remember(source: str) -> None:
    """The person chose ``source`` for the data on the form: keep it (a refresh too) and choose no more for them."""
    from tuneboard.team import save_prefs

    data = state.dataset().path
    st.session_state[DELIBERATE] = data
    try:
        save_prefs(auth.current_user().id, model={"source": source, "data": data})
    except OSError:  # a read-only disk costs the memory of the choice, not the page
        pass


def model_summary(source: str, settings: dict[str, Any]) -> None:
    """Size of the model and whether a run with these settings fits in memory."""
    from tuneboard.model import estimate_for, fit_verdict

    if source == BASELINE_MODEL:  # no network, no GPU, nothing to fit in memory: say so instead of a model card
        st.success(t("train.baseline_card"))
        return
    try:
        card = cache.model_card(source or "default")
    except TuneboardError as e:
        st.warning(str(e))
        return
    size = fmt_count(card.parameters) if card.parameters else "—"
    cols = st.columns(2)
    cols[0].metric(t("train.parameters"), size, border=True)
    mb = (card.weights_bytes or 0) / 2**20
    cols[1].metric(t("train.weights"), "—" if not mb else f"{mb:,.0f} MB" if mb >= 1 else "< 1 MB", border=True)
    dev = state.device() or {"type": "cpu", "free_gb": 0.0}
    est = estimate_for(card, settings["batch_size"], settings["max_length"], settings["freeze_embeddings"],
                       half_precision=dev["type"] == "cuda",
                       lora_rank=settings.get("lora_rank") if settings.get("lora") else None)
    verdict, advice = fit_verdict(est, float(dev.get("free_gb") or 0.0))
    where = t("train.fit_gpu") if dev["type"] == "cuda" else t("train.fit_memory")
    {"ok": st.success, "tight": st.warning, "no": st.error}[verdict](t("train.fit_line", where=where, advice=advice))
    st.caption(t("train.card_shape", architecture=card.architecture, layers=card.layers or "?",
                 hidden=card.hidden_size, vocab=card.vocab_size or "—"))


def training_settings() -> dict[str, Any]:
    """Preset plus the advanced overrides; returns TrainConfig fields. Limits, steps and help: the settings table."""
    # keys train.preset.<name> and train.preset.<name>.text for every preset in tuneboard.config.PRESETS
    preset = st.radio(t("train.preset"), list(PRESETS), format_func=lambda p: t(f"train.preset.{p}"), horizontal=True,
                      captions=[t(f"train.preset.{p}.text") for p in PRESETS],
                      **{**sticky("preset", SETTINGS["preset"].default), "on_change": _apply_preset, "args": ()})
    default = {name: SETTINGS[name].default for name in KEYS} | PRESETS[preset]
    with st.expander(t("train.advanced")):
        for group, settings in form_groups():
            st.markdown(f"**{t(f'setting.group.{group}')}**")
            draw_group(settings, default)
    return current_settings()


def draw_group(settings: list[Setting], default: dict[str, Any]) -> None:
    """One group's inputs in their order: other inputs three to a row, each check box on a row of its own
    (in a third of the form their labels were cut: "Freeze word emb…")."""
    row: list[Setting] = []
    for s in [*settings, None]:
        if s is not None and s.kind is not bool:
            row.append(s)
            continue
        for start in range(0, len(row), 3):
            for column, shown in zip(st.columns(3), row[start:start + 3], strict=False):
                draw(column, shown, default)
        row = []
        if s is not None:
            draw(st, s, default)


def draw(where: Any, s: Setting, default: dict[str, Any]) -> None:
    """The input of setting ``s`` (limits, words and choices: the settings table and its catalog keys)."""
    widget = (where.checkbox if s.kind is bool else where.text_input if s.or_steps
              else where.selectbox if s.choices else where.number_input)
    widget(**widget_args(s.name), **sticky(KEYS[s.name], default[s.name]))


def current_settings() -> dict[str, Any]:
    """The settings as the widgets hold them now (also read by the Start callback)."""
    s, types = st.session_state, {name: SETTINGS[name].kind for name in KEYS}
    return {name: types[name](s[key]) for name, key in KEYS.items()}


def _apply_preset() -> None:
    preset = st.session_state["preset"]
    st.session_state["_sticky"]["preset"] = preset
    for name in (n for n in PRESETS[preset] if n in KEYS):
        st.session_state[KEYS[name]] = st.session_state["_sticky"][KEYS[name]] = PRESETS[preset][name]


def start_run() -> None:
    """Check the settings and queue the run (``on_click`` of Start, so the page draws the new run at once)."""
    from tuneboard.model import resolve_model

    source, settings = st.session_state.get(MODEL_SOURCE, "default").strip(), current_settings()
    st.session_state.pop("_start_error", None)
    user = auth.current_user()
    try:
        resolve_model(source or "default", allow_any_path=False)  # a browser may not train from any server folder
        method = {} if source == BASELINE_MODEL else {"trainer": st.session_state.get(METHOD, "auto")}
        config = state.dataset().to_config(model=source or "default", **method, **settings)
        live = state.registry().submit(config, user=user)  # records the owner, checks the limits
    except TuneboardError as e:
        st.session_state["_start_error"] = error_text(e)
        return
    state.select_run(live.run_id)
