"""Session state set up once, the process-wide run registry, the chosen data, and the selected run.

The selected run lives in ``st.query_params["run"]`` (so a refresh, a second tab or a teammate's
link shows the same run) and is mirrored in session state (so it survives moving between pages,
which clears the query string).
"""
from __future__ import annotations

import dataclasses
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from tuneboard.classnames import ClassName, from_records
from tuneboard.config import TrainConfig
from tuneboard.errors import TuneboardError
from tuneboard.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEMO = EXAMPLES / "support_tickets.csv"
# The bundled example tables: file → catalog keys of (title, what it shows); show them with t().
EXAMPLE_FILES = {
    "support_tickets.csv": ("example.support_tickets.title", "example.support_tickets.text"),
    "support_tickets_multilabel.csv": ("example.multilabel.title", "example.multilabel.text"),
    "review_ratings.csv": ("example.review_ratings.title", "example.review_ratings.text"),
    "faq_pairs.csv": ("example.faq_pairs.title", "example.faq_pairs.text"),
    "zh_reviews.csv": ("example.zh_reviews.title", "example.zh_reviews.text"),
}


@st.cache_resource(show_spinner=False)
def registry() -> Any:
    """One ``RunRegistry`` per server process: every session sees the same runs and queue. Made at the
    server's first need of it, which picks up the queue the last server left (and marks the run it was
    training interrupted)."""
    from tuneboard.train import RunRegistry

    registry = RunRegistry(browser=True)  # what a page queues came from a browser: models/ and hub ids only
    registry.recover()
    return registry


def registry_if_started() -> Any:
    """The registry, or None when no page has needed it yet (then no run can exist either): lets the
    sidebar skip importing the engine's data stack, which keeps the first page quick."""
    return registry() if "tuneboard.train.queue" in sys.modules else None


@st.cache_resource(show_spinner=False)
def _device_probe() -> dict[str, Any]:
    # device_info() imports torch (seconds); probing in a thread keeps the first page instant.
    box: dict[str, Any] = {}

    def probe() -> None:
        try:
            from tuneboard.model import device_info, import_torch

            import_torch()  # with no page script running meanwhile (tuneboard.model.hf._Gate says why)

            box["info"] = device_info()
        except Exception:  # no torch or a broken driver: the app still works on the CPU
            box["info"] = {"type": "cpu", "name": "CPU", "total_gb": 0.0, "free_gb": 0.0}
        # Warm the imports the next pages need (scikit-learn alone takes seconds on a busy 2-core box),
        # so the first visit to Data or Train does not pay for them; and the training pipeline with the
        # bundled model's code, so a fresh server's first Start does not spend ~4 s importing transformers
        # before the first live point (<= 5 s after Start).
        import importlib

        from tuneboard.model import warm

        for module in ("tuneboard.data.prepare", "sklearn.model_selection", "plotly.graph_objects",
                       "tuneboard.train.pipeline"):
            try:
                importlib.import_module(module)
            except Exception:
                pass
        # transformers under the engine's lock: a page loading a model meanwhile waits for it instead of
        # meeting a half-imported transformers ("cannot import name ...")
        warm("transformers.models.bert.modeling_bert", "transformers.models.auto.modeling_auto",
             "transformers.models.auto.tokenization_auto")

    # Started 1.5 s late: importing torch competes with the first page's render for the GIL and
    # the cores (first paint measured 2.6-3.2 s with it running at once).
    timer = threading.Timer(1.5, probe)
    timer.name, timer.daemon = "tuneboard-device-probe", True
    timer.start()
    return box


def device() -> dict[str, Any] | None:
    """The training device, or None while it is still being detected."""
    return _device_probe().get("info")


def init_state() -> None:
    """Defaults, set once per session; then sync the selected run with the URL."""
    st.session_state.setdefault("_sticky", {})
    st.session_state.setdefault("_feeds", {})
    url_run = selected_run_id()
    if url_run:
        st.session_state["run_id"] = url_run
    elif st.session_state.get("run_id"):
        st.query_params["run"] = st.session_state["run_id"]


@dataclass(frozen=True)
class Dataset:
    """The table chosen on the Data page (or by "train again on the corrected copy"), as the Train page uses it.

    Field names are ``TrainConfig``'s where the two meet, and ``to_config`` is the one conversion between them.
    """

    path: str
    name: str
    sha: str | None = None  # content hash of an upload (None for a bundled example): the cache key of its reads
    example: bool = True
    encoding: str | None = None
    sheet: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    text_pair_column: str | None = None
    label_columns: tuple[str, ...] = ()
    task: str = SETTINGS["task"].default
    val_size: float = SETTINGS["val_size"].default
    validation: str | None = None
    classes: tuple[ClassName, ...] = ()  # the person's names for the label codes (tuneboard.classnames)
    unlabeled: bool = False  # no label column: its texts are labeled on the Label page (tuneboard.labeling)

    def to_config(self, **settings: Any) -> TrainConfig:
        """The ``TrainConfig`` of a run on this data with the given training settings (validated)."""
        if self.unlabeled:
            from tuneboard.errors import ConfigError
            from tuneboard.i18n import t

            raise ConfigError(t("label.err.label_first"))
        return TrainConfig(data=self.path, text_column=self.text_column, label_column=self.label_column,
                           text_pair_column=self.text_pair_column, label_columns=self.label_columns, task=self.task,
                           val_size=self.val_size, validation=self.validation, encoding=self.encoding,
                           sheet=self.sheet, classes=self.classes, **settings)

    def replace(self, **changes: Any) -> "Dataset":
        return dataclasses.replace(self, **changes)


def demo_dataset(path: Path = DEMO) -> Dataset:
    """A bundled example table, columns left to detection."""
    return Dataset(path=str(path), name=path.name)


def dataset() -> Dataset:
    """The data this session trains on: chosen here, else the person's last choice (a refresh, a second
    tab or a restarted server keeps it), else the bundled demo."""
    if st.session_state.get("dataset") is None:
        st.session_state["dataset"] = _remembered_dataset() or demo_dataset()
    return st.session_state["dataset"]


def set_dataset(chosen: Dataset) -> None:
    if st.session_state.get("dataset") == chosen:
        return  # the Data page sets it on every rerun: write only a change
    st.session_state["dataset"] = chosen
    from tuneboard.team import save_prefs

    try:
        save_prefs(_user_id(), dataset=dataclasses.asdict(chosen))
    except OSError:  # a read-only disk costs the memory of the choice, not the page
        pass


def _user_id() -> str:
    from . import auth

    return auth.current_user().id


def _remembered_dataset() -> Dataset | None:
    """The person's saved choice, if its file is still there (an upload can be deleted meanwhile)."""
    from tuneboard.team import load_prefs

    saved = load_prefs(_user_id()).get("dataset")
    if not isinstance(saved, dict):
        return None
    fields = {f.name for f in dataclasses.fields(Dataset)}
    try:
        chosen = Dataset(**{k: tuple(v) if k == "label_columns" else v for k, v in saved.items() if k in fields})
        chosen = chosen.replace(classes=from_records(chosen.classes))
    except (TypeError, ValueError, TuneboardError):
        return None
    return chosen if Path(chosen.path).is_file() else None


def selected_run_id() -> str | None:
    """The run in ``?run=`` (or this session's): a run id only, never a path (anything else is ignored)."""
    from tuneboard.runs import is_run_id

    wanted = st.query_params.get("run") or st.session_state.get("run_id")
    return wanted if wanted and is_run_id(wanted) else None


def select_run(run_id: str | None) -> None:
    st.session_state["run_id"] = run_id
    if run_id:
        st.query_params["run"] = run_id
    elif "run" in st.query_params:
        del st.query_params["run"]


def sticky(key: str, default: Any) -> dict[str, Any]:
    """Widget kwargs that keep a widget's value when the user visits another page and comes back
    (Streamlit forgets the state of widgets that were not drawn in a run)."""
    saved = st.session_state["_sticky"]
    if key not in st.session_state:
        st.session_state[key] = saved.get(key, default)
    saved[key] = st.session_state[key]
    return {"key": key, "on_change": _save, "args": (key,)}


def _save(key: str) -> None:
    st.session_state["_sticky"][key] = st.session_state.get(key)
