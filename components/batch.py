"""Predict-page pieces: a whole file predicted at once, and the run's model as a zip download.

The batch output is the CLI's (``python -m tuneboard predict --input --output``): the file's own
columns plus ``predicted_label`` and ``score_<label>``, both made by ``Predictor.predict_frame``.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.i18n import t

from . import auth, cache
from .sources import FILE_TYPES, NONE
from .tables import show_table
from .uploads import save_upload
from .widgets import as_percent, percent_column

PREVIEW_ROWS = 200


def batch_file() -> dict[str, Any] | None:
    """The uploaded file to predict (``{path, name, sha}``), or None."""
    file = st.file_uploader(t("batch.file"), type=FILE_TYPES, key="predict_batch_upload", help=t("batch.file_help"))
    return save_upload(file)


def text_columns(df: pd.DataFrame, record: dict[str, Any], summary: dict[str, Any]) -> tuple[str, str | None]:
    """Text column (the run's own when the file has it, else the engine's guess) and, for pair runs, the second one."""
    from tuneboard.runs import open_run

    columns = [str(c) for c in df.columns]
    cfg = open_run(summary["path"]).config()
    guess = cache.detect(record["path"], record.get("sha"))[0]
    default = next((c for c in (cfg.text_column, guess) if c in columns), columns[0])
    new_file = st.session_state.get("_predict_batch_columns_of") != record["path"]
    if new_file or st.session_state.get("predict_batch_text_column") not in columns:
        st.session_state["predict_batch_text_column"] = default  # pushed via state: a keyed box shows old values
        st.session_state["_predict_batch_columns_of"] = record["path"]
    left, right = st.columns(2)
    text = left.selectbox(t("batch.text_column"), columns, key="predict_batch_text_column")
    pair = None
    if cfg.text_pair_column:
        pairs = [NONE] + [c for c in columns if c != text]
        pick = right.selectbox(t("batch.pair_column"), pairs, key="predict_batch_pair_column",
                               index=pairs.index(cfg.text_pair_column) if cfg.text_pair_column in pairs else 0)
        pair = None if pick == NONE else pick
    return text, pair


@st.cache_data(max_entries=4, show_spinner=False)  # the page shows a spinner in the person's language
def predict_file(
    run_path: str, stamp: float, path: str, sha: str | None, text: str, pair: str | None
) -> dict[str, Any]:
    """``predict_frame`` over the whole file, its CSV, and the time it took (kept across reruns)."""
    df, _ = cache.read(path, sha)
    predictor = cache.predictor(run_path, stamp)
    start = time.perf_counter()
    out = predictor.predict_frame(df, text, pair)
    seconds = time.perf_counter() - start
    from tuneboard.files import safe_csv

    return {"frame": out, "csv": safe_csv(out), "seconds": seconds,
            "counts": out["predicted_label"].astype(str).value_counts(), "labels": list(predictor.labels)}


def result_table(result: dict[str, Any], text_column: str) -> None:
    """The first rows, text and predictions first (the file's other columns follow), scores as percentages."""
    frame = result["frame"]
    scores = [f"score_{n}" for n in result["labels"]]
    first = [text_column, "predicted_label", *scores]
    config = {c: percent_column(c) for c in scores}
    config[text_column] = st.column_config.TextColumn(width="medium")
    show_table(as_percent(frame.head(PREVIEW_ROWS), scores), hide_index=True, height=300, column_config=config,
                 column_order=first + [c for c in frame.columns if c not in first])
    if len(frame) > PREVIEW_ROWS:
        st.caption(t("batch.preview", shown=PREVIEW_ROWS, rows=f"{len(frame):,}"))


def export_button(summary: dict[str, Any]) -> None:
    """'Export model (.zip)': the zip is built on the first click and reused while the model is unchanged."""
    from tuneboard.serve import EXPORTABLE

    if not auth.allowed("export", summary["path"]):
        return
    ready = summary.get("status") in EXPORTABLE
    st.download_button(t("batch.export"), _export_bytes(summary["path"]) if ready else b"",
                       f"{summary['run_id']}.zip", "application/zip", key="predict_export_model", on_click="ignore",
                       icon=":material/archive:", disabled=not ready,
                       help=t("batch.export_help") if ready else t("batch.export_not_ready"))


def _export_bytes(run_path: str) -> Any:
    """A deferred download: nothing is zipped until the button is pressed."""
    user = auth.current_user()  # asked now, in the page's script run; the engine refuses a teammate's run

    def build() -> bytes:
        from tuneboard.runs import open_run
        from tuneboard.serve import default_export_path, export_run
        from tuneboard.team import check

        check(user, "export", run_path)  # a zip made earlier for its owner is not handed to a teammate
        dest = default_export_path(open_run(run_path))
        if not dest.is_file() or dest.stat().st_mtime < cache.model_stamp(run_path):
            export_run(run_path, dest, user=user)
        return Path(dest).read_bytes()

    return build
