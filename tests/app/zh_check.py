"""Is a page still showing English when it should be in Chinese? ``english_leftovers(at, allow=...)``.

Collects every string an ``AppTest`` shows (headings, markdown, captions, alerts, metric labels, widget
labels and choices, expander and tab labels, page links, Plotly chart titles, axis titles and legend
names) and returns those that still contain an English word: a run of 3+ ASCII letters that is not in
the allow-list. Allowed: names that stay as they are in Chinese (models, formats, metrics, units, code)
plus whatever the test passes in ``allow`` — the data's own labels, columns, file names, run names.

Markdown noise is dropped before the check: icons (``:material/tune:``), colour and badge directives
(``:red[...]`` keeps its text), inline code (code stays code), links' addresses, HTML entities and
``plain()``'s backslash escapes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from streamlit.testing.v1 import AppTest

WORD = re.compile(r"[A-Za-z]{3,}")
# Names a Chinese UI keeps as they are (case-insensitive, whole words)
ALLOWED_WORDS = {
    # product, libraries, companies
    "tuneboard", "hugging", "face", "transformer", "transformers", "pytorch", "torch", "cuda", "mps", "apple",
    "nvidia", "streamlit",
    "plotly", "python", "onnx", "onnxruntime", "skops", "mlflow", "tensorboard", "optuna", "peft", "captum", "cleanlab",
    # models and methods
    "minilm", "bert", "distilbert", "roberta", "deberta", "xlm", "lora", "setfit", "idf", "adamw", "softmax", "logits",
    "logit",
    # metrics
    "macro", "micro", "auc", "roc", "mae", "rmse", "mse", "ece", "top",
    # formats, protocols, units
    "csv", "tsv", "json", "jsonl", "parquet", "xlsx", "xls", "excel", "txt", "url", "urls", "http", "https", "api",
    "cli", "gpu", "gpus", "cpu", "cpus", "ram", "vram", "mib", "gib", "kib", "tib", "eta", "utf", "token", "tokens",
    "batch", "epoch", "epochs", "fp16", "bf16", "int8", "oidc", "sso", "yaml", "toml", "zip", "faq",
    # LLMs and their servers, and the agreement statistic, as Chinese texts name them
    "llm", "llms", "openai", "ollama", "vllm", "studio", "cohen", "kappa",
    # hyperparameter names Chinese ML interfaces keep
    "dropout", "alpha",
}
# Multi-part names that would otherwise split into words (removed as wholes before the check)
ALLOWED_PHRASES = ("TF-IDF", "macro-F1", "all-MiniLM-L6-v2", "Hugging Face", "F1", "R²", "[UNK]",
                   # an environment variable, a package and its error, named as the code spells them
                   "HF_HUB_OFFLINE", "huggingface_hub", "OfflineModeIsEnabled")

# The language switcher is bilingual on purpose ("Language / 语言", each language in its own words)
SKIPPED_KEYS = {"sidebar_language"}

_ICON = re.compile(r":material/[a-z0-9_]+:")
_COLOUR = re.compile(r":(?:red|orange|green|blue|violet|gray|grey|rainbow|primary)(?:-background|-badge)?\[")
_ENTITY = re.compile(r"&[a-z]+;")
_CODE = re.compile(r"`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_ESCAPE = re.compile(r"\\(.)")  # plain()'s backslash escapes: support\_tickets\.csv is support_tickets.csv


def _clean(text: str) -> str:
    text = _ESCAPE.sub(r"\1", text)
    for pattern in (_ICON, _CODE, _URL, _ENTITY):
        text = pattern.sub(" ", text)
    return _COLOUR.sub("[", _LINK_TARGET.sub("]", text))


def _chart_texts(spec: dict) -> Iterator[str]:
    layout = spec.get("layout", {})
    title = layout.get("title")
    yield title.get("text", "") if isinstance(title, dict) else str(title or "")
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            axis_title = axis.get("title") or {}
            yield axis_title.get("text", "") if isinstance(axis_title, dict) else str(axis_title)
    legend_title = (layout.get("legend") or {}).get("title") or {}
    yield legend_title.get("text", "") if isinstance(legend_title, dict) else str(legend_title)
    for annotation in layout.get("annotations", []) or []:
        yield str(annotation.get("text", ""))
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) is not False and trace.get("name"):
            yield str(trace["name"])


def visible_strings(at: AppTest, charts: bool = True) -> list[str]:
    """Every string the page shows right now (main area and sidebar)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "success",
                 "error", "toast"):
        out += [str(e.value) for e in getattr(at, kind)]
    labelled = ("button", "toggle", "checkbox", "selectbox", "radio", "number_input", "text_input", "text_area",
                "slider", "select_slider", "multiselect", "expander", "tabs", "metric", "date_input",
                "download_button", "page_link", "status", "file_uploader", "form_submit_button", "link_button")
    for kind in labelled:
        for element in getattr(at, kind):
            if getattr(element, "key", None) in SKIPPED_KEYS:
                continue
            out.append(str(getattr(element, "label", "") or ""))
    for kind in ("selectbox", "radio", "multiselect", "select_slider"):
        for element in getattr(at, kind):
            if getattr(element, "key", None) in SKIPPED_KEYS:
                continue
            out += [str(option) for option in getattr(element, "options", []) or []]
    if charts:
        for chart in at.get("plotly_chart"):
            out += list(_chart_texts(json.loads(chart.proto.spec)))
    return [s for s in out if s and s.strip()]


def english_leftovers(at: AppTest, allow: Iterable[str] = (), charts: bool = True) -> list[str]:
    """The visible strings that still hold an English word outside the allow-list (``allow``: data values,
    file, column, run and model names the test put there; matched case-insensitively, as wholes)."""
    extra = sorted({a for a in allow if a}, key=len, reverse=True)
    phrases = [p.lower() for p in (*extra, *ALLOWED_PHRASES)]
    leftovers = []
    for text in visible_strings(at, charts=charts):
        cleaned = _clean(text).lower()
        for phrase in phrases:
            cleaned = re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", cleaned)
        if any(word not in ALLOWED_WORDS for word in WORD.findall(cleaned)):
            leftovers.append(text)
    return leftovers
