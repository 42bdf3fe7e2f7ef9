"""The Train page's help with the model: one that reads the data's language, preselected with the reason
(unless the person chose one for this data), the hub models for that language, and the admins' import."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

from . import auth, cache, state, trainform
from .tables import show_table
from .widgets import fmt_count, plain, show_error

AUTO = "_model_auto"  # session key: the model Tuneboard put in the box, and for which data
DELIBERATE = trainform.DELIBERATE


def preselect() -> tuple[Any, str | None]:
    """Before the model box is drawn: restore the person's choice, or put in a model that reads the data.
    Returns (the automatic ``ModelChoice`` now in the box or None, the data's script)."""
    ds = state.dataset()
    _restore(ds.path)
    current = trainform.chosen_model()[0]
    auto = st.session_state.get(AUTO)
    if auto and auto["model"] == current:  # the box holds what Tuneboard put there: decide again from before it
        current = auto["from"] if auto["data"] == ds.path else "default"
    try:
        with st.spinner(t("zhmodel.checking")):
            choice, script = _recommend(ds.to_config().to_dict(), _stamp(ds.path), current, _local_models())
    except TuneboardError:
        return None, None  # the Data page says what is wrong with the data
    if st.session_state.get(DELIBERATE) == ds.path:
        return (choice if choice.changed else None), script  # not applied: ``reason`` warns instead
    if choice.model != trainform.chosen_model()[0]:
        trainform.set_model(choice.model)
    st.session_state[AUTO] = {"data": ds.path, "model": choice.model, "from": current}
    return (choice if choice.changed else None), script


def reason(choice: Any) -> None:
    """Why the box holds the model it holds, when Tuneboard put it there; a warning when the person's own
    pick does not read the data and another model would."""
    from tuneboard.data import display_name

    if choice is None:
        return
    box = trainform.chosen_model()[0]
    if box == choice.model:
        st.info(plain(choice.explain()), icon=":material/translate:")
    elif box == choice.current:
        st.warning(plain(t("zhmodel.reason.kept", model=display_name(box), share=choice.shares[box],
                           chosen=display_name(choice.model))), icon=":material/translate:")


def hub_options(script: str | None) -> dict[str, str]:
    """Select-box entries for the hub models that read ``script`` (id -> label with size)."""
    from tuneboard.data import HUB_MODELS

    return {m.id: t("zhmodel.hub.option", id=m.id, parameters=fmt_count(m.parameters), mb=m.weights_mb)
            for m in HUB_MODELS.get(script or "", ())}


def hub_models(script: str | None) -> None:
    """The hub models that read the data's language, with size and a note; how to get one without internet."""
    import os

    import pandas as pd

    from tuneboard.data import HUB_MODELS

    models = HUB_MODELS.get(script or "")
    if not models:
        return
    with st.expander(t("zhmodel.hub.title", language=t(f"zhmodel.language.{script}")), icon=":material/cloud:"):
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
        st.caption(t("zhmodel.hub.caption_offline" if offline else "zhmodel.hub.caption_online"))
        rows = [{"id": m.id, "parameters": fmt_count(m.parameters), "size": f"{m.weights_mb:,} MB", "note": t(m.note)}
                for m in models]
        show_table(pd.DataFrame(rows), hide_index=True, column_config={
            "id": t("zhmodel.hub.col_id"), "parameters": t("zhmodel.hub.col_parameters"),
            "size": t("zhmodel.hub.col_size"), "note": t("zhmodel.hub.col_note")})


def import_section() -> None:
    """Admins only (the engine refuses anyone else too): a model folder or .zip becomes a model in the list."""
    if not auth.current_user().is_admin:
        return
    with st.expander(t("zhmodel.import.title"), icon=":material/upload_file:"):
        st.caption(t("zhmodel.import.caption"))
        st.file_uploader(t("zhmodel.import.zip"), type=["zip"], key="model_import_zip")
        st.text_input(t("zhmodel.import.folder"), key="model_import_folder")
        st.text_input(t("zhmodel.import.name"), key="model_import_name")
        st.button(t("zhmodel.import.go"), key="model_import_go", on_click=_import)
        if st.session_state.get("_import_done"):
            st.success(t("zhmodel.import.done", name=plain(st.session_state["_import_done"])))
        if st.session_state.get("_import_error"):
            show_error(st.session_state["_import_error"])


def _import() -> None:
    from tuneboard.model import import_model

    from .uploads import save_upload

    s = st.session_state
    s["_import_done"] = s["_import_error"] = None
    try:
        upload = save_upload(s.get("model_import_zip"))
        source = upload["path"] if upload else str(s.get("model_import_folder") or "").strip()
        name = str(s.get("model_import_name") or "").strip() or Path(upload["name"] if upload else source).stem
        if not source:
            raise _need_source()
        target = import_model(source, name, auth.current_user())
    except TuneboardError as e:
        s["_import_error"] = e
        return
    s["_import_done"] = target.name


def _need_source() -> TuneboardError:
    from tuneboard.errors import ModelLoadError

    return ModelLoadError(t("zhmodel.import.err.no_source"))


def _restore(data: str) -> None:
    """A new session (a refresh, a second tab) starts from the person's remembered choice."""
    from tuneboard.team import load_prefs

    if DELIBERATE in st.session_state or trainform.MODEL_SOURCE in st.session_state["_sticky"]:
        return
    saved = load_prefs(auth.current_user().id).get("model")
    st.session_state[DELIBERATE] = None
    if isinstance(saved, dict) and isinstance(saved.get("source"), str) and saved.get("data") == data:
        trainform.set_model(saved["source"])
        st.session_state[DELIBERATE] = data


def _local_models() -> tuple[tuple[str, float], ...]:
    from tuneboard.model import list_local_models

    return tuple((m.location, _stamp(m.location)) for m in list_local_models()[:10])


def _stamp(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(max_entries=16, show_spinner=False)
def _recommend(config: dict[str, Any], stamp: float, current: str,
               models: tuple[tuple[str, float], ...]) -> tuple[Any, str | None]:
    # ``stamp`` and ``models``' times key the cache: new bytes or a new model mean a new answer
    from tuneboard.config import TrainConfig
    from tuneboard.data import COVERAGE_SAMPLE, data_script, recommend_model

    prepared = cache.prepare(TrainConfig.from_dict(config))
    texts = [*prepared.train["text"].head(COVERAGE_SAMPLE), *prepared.val["text"].head(COVERAGE_SAMPLE // 3)]
    return recommend_model(texts, current), data_script(texts)
