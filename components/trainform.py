"""Widgets of the Train page: model picker and card, preset and advanced settings, Start."""
from __future__ import annotations

from typing import Any

import streamlit as st

from tuneboard.config import PRESETS, TrainConfig
from tuneboard.errors import TuneboardError

from . import cache, state
from .state import sticky
from .widgets import plain

OTHER = "__other__"
PRESET_TEXT = {"fast": "A first look in minutes", "balanced": "The usual choice", "best": "Slower, the last points"}
ADVANCED = ("epochs", "learning_rate", "batch_size", "max_length", "freeze_embeddings")


def model_picker() -> str:
    """A list of known models that fills an editable source box (any local folder or hub id works)."""
    from tuneboard.catalog import list_local_models

    options = {"default": "all-MiniLM-L6-v2 · bundled (default)", "tfidf": "TF-IDF baseline (instant, CPU)"}
    options |= {m.location: f"{m.name} · on this machine" for m in list_local_models()[:20]}
    options[OTHER] = "Another folder or Hugging Face id…"
    sticky("model_pick", "default")
    if st.session_state["model_pick"] not in options:
        st.session_state["model_pick"] = OTHER
    st.selectbox("Model", list(options), format_func=options.get, key="model_pick", on_change=_copy_pick)
    return st.text_input("Model folder or Hugging Face id", **sticky("model_source", "default"),
                         help="'default' is the bundled MiniLM, 'tfidf' the classical baseline. A folder saved with save_pretrained (or a run "
                              "folder) works as is; a hub id needs the hub or a downloaded copy.").strip()


def _copy_pick() -> None:
    pick = st.session_state["model_pick"]
    st.session_state["_sticky"]["model_pick"] = pick
    if pick != OTHER:
        st.session_state["model_source"] = st.session_state["_sticky"]["model_source"] = pick


def model_summary(source: str, settings: dict[str, Any]) -> None:
    """Size of the model and whether a run with these settings fits in memory."""
    from tuneboard.memory import estimate_for, fit_verdict

    if source == "tfidf":  # no network, no GPU, nothing to fit in memory: say so instead of a model card
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
    cols[1].metric("Weights", f"{card.weights_bytes / 2**20:,.0f} MB" if card.weights_bytes else "—", border=True)
    dev = state.device() or {"type": "cpu", "free_gb": 0.0}
    est = estimate_for(card, settings["batch_size"], settings["max_length"], settings["freeze_embeddings"],
                       half_precision=dev["type"] == "cuda")
    verdict, advice = fit_verdict(est, float(dev.get("free_gb") or 0.0))
    where = "GPU" if dev["type"] == "cuda" else "memory"
    {"ok": st.success, "tight": st.warning, "no": st.error}[verdict](f"**Training {where}:** {advice}")
    st.caption(f"{card.architecture} · {card.layers or '?'} layers · hidden size {card.hidden_size} · "
               f"vocabulary {card.vocab_size or '—'}")


def training_settings() -> dict[str, Any]:
    """Preset plus the advanced overrides; returns TrainConfig fields."""
    preset = st.radio("Preset", list(PRESETS), format_func=str.capitalize, horizontal=True,
                      captions=[PRESET_TEXT.get(p, "") for p in PRESETS],
                      **{**sticky("preset", "balanced"), "on_change": _apply_preset, "args": ()})
    default = PRESETS[preset]
    with st.expander("Advanced settings"):
        a, b, c = st.columns(3)
        a.number_input("Epochs", 1, 100, step=1, **sticky("epochs", default["epochs"]),
                       help="Passes over the training rows. More can help small tables; the best epoch is kept.")
        b.number_input("Learning rate", 1e-6, 1e-2, step=1e-5, format="%.0e",
                       **sticky("learning_rate", default["learning_rate"]))
        c.number_input("Batch size", 1, 1024, step=8, **sticky("batch_size", default["batch_size"]),
                       help="Rows per step. On a GPU it is raised automatically while it fits.")
        a.number_input("Max length (tokens)", 8, 2048, step=32, **sticky("max_length", default["max_length"]),
                       help="Longer texts are cut. 128 tokens is about 90 English words.")
        b.number_input("Seed", 0, 2**31 - 1, step=1, **sticky("seed", 42), help="Same seed, same split, same result.")
        c.checkbox("Freeze word embeddings", **sticky("freeze_embeddings", default["freeze_embeddings"]),
                   help="Faster, and usually as accurate on short texts.")
    return current_settings()


def current_settings() -> dict[str, Any]:
    """The settings as the widgets hold them now (also read by the Start callback)."""
    s = st.session_state
    return {"preset": s["preset"], "epochs": int(s["epochs"]), "learning_rate": float(s["learning_rate"]),
            "batch_size": int(s["batch_size"]), "max_length": int(s["max_length"]), "seed": int(s["seed"]),
            "freeze_embeddings": bool(s["freeze_embeddings"])}


def _apply_preset() -> None:
    preset = st.session_state["preset"]
    st.session_state["_sticky"]["preset"] = preset
    for key in ADVANCED:
        st.session_state[key] = st.session_state["_sticky"][key] = PRESETS[preset][key]


def start_run() -> None:
    """Check the settings and queue the run (``on_click`` of Start, so the page draws the new run at once)."""
    from tuneboard.catalog import resolve_model

    ds, source, settings = state.dataset(), st.session_state.get("model_source", "default").strip(), current_settings()
    st.session_state.pop("_start_error", None)
    try:
        resolve_model(source or "default", allow_any_path=False)  # a browser may not train from any server folder
        config = TrainConfig(data=ds["path"], text_column=ds.get("text_column"), label_column=ds.get("label_column"),
                             text_pair_column=ds.get("pair_column"), val_size=ds.get("val_size", 0.2),
                             validation=ds.get("validation"), model=source or "default", **settings)
        live = state.registry().submit(config)
    except TuneboardError as e:
        st.session_state["_start_error"] = f"**{e.title}.** {plain(str(e))}"
        return
    state.select_run(live.run_id)


def _count(n: int) -> str:
    return f"{n / 1e9:.1f} B" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} K"
