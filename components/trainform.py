"""Widgets of the Train page: model picker and card, preset and advanced settings, Start."""
from __future__ import annotations

from typing import Any

import streamlit as st

from tuneboard.config import DEFAULT_PRESET, PRESETS, TrainConfig
from tuneboard.errors import TuneboardError
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.settings import SETTINGS, widget_args

from . import auth, cache, state
from .state import Dataset, sticky
from .widgets import plain

OTHER = "__other__"
PRESET_TEXT = {"fast": "A first look in minutes", "balanced": "The usual choice", "best": "Slower, the last points"}
ADVANCED = ("epochs", "learning_rate", "batch_size", "max_length", "freeze_embeddings")
# Widget key of each setting on the form; ``model_source`` and ``preset`` are stable keys tests and users rely on.
KEYS = {name: f"train_{name}" for name in (*ADVANCED, "seed")} | {"preset": "preset"}
MODEL_PICK, MODEL_SOURCE = "train_model_pick", "model_source"


def use_dataset(chosen: Dataset) -> None:
    """Make ``chosen`` the data the form trains on (the Data page and the mistakes view call this)."""
    state.set_dataset(chosen)


def prefill(config: TrainConfig) -> None:
    """Fill the form with a run's model and settings; the widgets show them the next time the page is drawn."""
    values = {MODEL_PICK: config.model, MODEL_SOURCE: config.model}
    values |= {key: getattr(config, name) for name, key in KEYS.items()}
    for key, value in values.items():
        st.session_state["_sticky"][key] = value
        st.session_state.pop(key, None)  # a widget not drawn yet takes its value from ``sticky``


def chosen_model() -> tuple[str, int]:
    """The model source and max length chosen on the form (the bundled model and the preset's until then)."""
    saved = st.session_state.get("_sticky", {})
    max_length = saved.get(KEYS["max_length"]) or PRESETS[DEFAULT_PRESET]["max_length"]
    return str(saved.get(MODEL_SOURCE) or "default").strip(), int(max_length)


def model_picker() -> str:
    """A list of known models that fills an editable source box (any local folder or hub id works)."""
    from tuneboard.catalog import list_local_models

    options = {"default": "all-MiniLM-L6-v2 · bundled (default)", BASELINE_MODEL: "TF-IDF baseline (instant, CPU)"}
    options |= {m.location: f"{m.name} · on this machine" for m in list_local_models()[:20]}
    options[OTHER] = "Another folder or Hugging Face id…"
    sticky(MODEL_PICK, "default")
    # The list follows the box: a model typed (or set by another page) shows as itself or as "Another…",
    # not as the default still picked above it. "Another…" stays while the user types.
    typed = str(st.session_state.get(MODEL_SOURCE, "default")).strip()
    if st.session_state[MODEL_PICK] not in (OTHER, typed) or st.session_state[MODEL_PICK] not in options:
        st.session_state[MODEL_PICK] = st.session_state["_sticky"][MODEL_PICK] = typed if typed in options else OTHER
    st.selectbox("Model", list(options), format_func=options.get, key=MODEL_PICK, on_change=_copy_pick)
    return st.text_input(
        "Model folder or Hugging Face id",
        **sticky(MODEL_SOURCE, "default"),
        help=f"'default' is the bundled MiniLM, '{BASELINE_MODEL}' the classical baseline. A folder saved with "
        "save_pretrained (or a run folder) works as is; a hub id needs the hub or a downloaded copy.",
    ).strip()


def _copy_pick() -> None:
    pick = st.session_state[MODEL_PICK]
    st.session_state["_sticky"][MODEL_PICK] = pick
    if pick != OTHER:
        st.session_state[MODEL_SOURCE] = st.session_state["_sticky"][MODEL_SOURCE] = pick


def model_summary(source: str, settings: dict[str, Any]) -> None:
    """Size of the model and whether a run with these settings fits in memory."""
    from tuneboard.memory import estimate_for, fit_verdict

    if source == BASELINE_MODEL:  # no network, no GPU, nothing to fit in memory: say so instead of a model card
        st.success("**TF-IDF + logistic regression:** trains in seconds on the CPU, tiny on disk. A fair first "
                   "model, and the bar every fine-tuned run is measured against.")
        return
    try:
        card = cache.model_card(source or "default")
    except TuneboardError as e:
        st.warning(str(e))
        return
    size = _count(card.parameters) if card.parameters else "—"
    cols = st.columns(2)
    cols[0].metric("Parameters", size, border=True)
    mb = (card.weights_bytes or 0) / 2**20
    cols[1].metric("Weights", "—" if not mb else f"{mb:,.0f} MB" if mb >= 1 else "< 1 MB", border=True)
    dev = state.device() or {"type": "cpu", "free_gb": 0.0}
    est = estimate_for(card, settings["batch_size"], settings["max_length"], settings["freeze_embeddings"],
                       half_precision=dev["type"] == "cuda")
    verdict, advice = fit_verdict(est, float(dev.get("free_gb") or 0.0))
    where = "GPU" if dev["type"] == "cuda" else "memory"
    {"ok": st.success, "tight": st.warning, "no": st.error}[verdict](f"**Training {where}:** {advice}")
    st.caption(f"{card.architecture} · {card.layers or '?'} layers · hidden size {card.hidden_size} · "
               f"vocabulary {card.vocab_size or '—'}")


def training_settings() -> dict[str, Any]:
    """Preset plus the advanced overrides; returns TrainConfig fields. Limits, steps and help: the settings table."""
    preset = st.radio("Preset", list(PRESETS), format_func=str.capitalize, horizontal=True,
                      captions=[PRESET_TEXT.get(p, "") for p in PRESETS],
                      **{**sticky("preset", SETTINGS["preset"].default), "on_change": _apply_preset, "args": ()})
    default = PRESETS[preset] | {"seed": SETTINGS["seed"].default}
    with st.expander("Advanced settings"):
        a, b, c = st.columns(3)
        places = {"epochs": a, "learning_rate": b, "batch_size": c, "max_length": a, "seed": b}
        for name, column in places.items():
            column.number_input(**widget_args(name), **sticky(KEYS[name], default[name]))
        freeze = KEYS["freeze_embeddings"]
        c.checkbox(**widget_args("freeze_embeddings"), **sticky(freeze, default["freeze_embeddings"]))
    return current_settings()


def current_settings() -> dict[str, Any]:
    """The settings as the widgets hold them now (also read by the Start callback)."""
    s, types = st.session_state, {name: SETTINGS[name].kind for name in KEYS}
    return {name: types[name](s[key]) for name, key in KEYS.items()}


def _apply_preset() -> None:
    preset = st.session_state["preset"]
    st.session_state["_sticky"]["preset"] = preset
    for name in ADVANCED:
        st.session_state[KEYS[name]] = st.session_state["_sticky"][KEYS[name]] = PRESETS[preset][name]


def start_run() -> None:
    """Check the settings and queue the run (``on_click`` of Start, so the page draws the new run at once)."""
    from tuneboard.catalog import resolve_model

    source, settings = st.session_state.get(MODEL_SOURCE, "default").strip(), current_settings()
    st.session_state.pop("_start_error", None)
    user = auth.current_user()
    try:
        resolve_model(source or "default", allow_any_path=False)  # a browser may not train from any server folder
        config = state.dataset().to_config(model=source or "default", **settings)
        live = state.registry().submit(config, user=user)  # records the owner, checks the limits
    except TuneboardError as e:
        st.session_state["_start_error"] = f"**{e.title}.** {plain(str(e))}"
        return
    state.select_run(live.run_id)


def _count(n: int) -> str:
    return f"{n / 1e9:.1f} B" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} K"
