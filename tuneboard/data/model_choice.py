"""Which model reads this data: each candidate's tokenizer is tried on a sample of the texts.

A transformer only learns from the tokens its vocabulary knows; the rest reach it as ``[UNK]``. The
bundled MiniLM knows 65.7 % of the tokens of the Chinese example only as ``[UNK]`` (the Data page's
coverage check on examples/zh_reviews.csv), so it scores below TF-IDF there (83.3 % vs 90.0 % accuracy).
``choose_model`` keeps the model the person has unless the data's tokens are mostly unknown to it; then it
names the candidate that reads them best, or TF-IDF, which reads every language.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from tuneboard.data.tokens import UNK_WARN_SHARE, unknown_share
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.protocol import BASELINE_MODEL

COVERAGE_SAMPLE = 300  # texts tokenized per candidate: the share is stable to a point, and it takes milliseconds
SCRIPT_SHARE = 0.3  # a table is "Chinese" when at least this share of its letters are Han characters


@dataclass(frozen=True)
class HubModel:
    """A model on the Hugging Face hub that reads a language well; shown as an id to pick, never downloaded here."""

    id: str
    parameters: int
    note: str  # catalog key of one line on what it is good for

    @property
    def weights_mb(self) -> int:
        """Size of its float32 weights (what a download weighs, give or take the tokenizer)."""
        return round(self.parameters * 4 / 2**20)


# Chosen for classifiers on a CPU or one GPU: small first. Parameter counts from the models' cards.
HUB_MODELS: dict[str, tuple[HubModel, ...]] = {
    "zh": (
        HubModel("hfl/rbt3", 38_000_000, "zhmodel.hub.note.rbt3"),
        HubModel("hfl/chinese-electra-180g-small-discriminator", 12_000_000, "zhmodel.hub.note.electra_small"),
        HubModel("bert-base-chinese", 102_000_000, "zhmodel.hub.note.bert_base_chinese"),
        HubModel("hfl/chinese-roberta-wwm-ext", 102_000_000, "zhmodel.hub.note.roberta_wwm_ext"),
        HubModel("hfl/chinese-macbert-base", 102_000_000, "zhmodel.hub.note.macbert"),
    ),
}


@dataclass(frozen=True)
class ModelChoice:
    """The model to train with, and why (``reason`` is a catalog key, ``values`` fill it; None: nothing to say)."""

    model: str
    current: str
    reason: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    shares: dict[str, float | None] = field(default_factory=dict)  # unknown-token share of each model tried

    @property
    def changed(self) -> bool:
        return self.model != self.current

    def explain(self) -> str:
        """The reason in the current language ('' when there is none)."""
        if not self.reason:
            return ""
        script = self.values.get("script")
        language = t(f"zhmodel.language.{script}") if script in HUB_MODELS else t("zhmodel.language.other")
        return t(self.reason, **{**self.values, "language": language})


@dataclass(frozen=True)
class Reading:
    """How well a run's model reads its validation texts: the evidence behind a "use another model" tip."""

    unknown_share: float
    script: str | None

    @property
    def poor(self) -> bool:
        return self.unknown_share > UNK_WARN_SHARE


def run_reading(run_path: str | Path) -> Reading | None:
    """``Reading`` of a finished run (its saved tokenizer on its validation texts); None for TF-IDF runs, runs
    without predictions, and tokenizers without an unknown token."""
    import pandas as pd

    from tuneboard.model.catalog import ModelSource, load_tokenizer

    model, predictions = Path(run_path) / RunFiles.MODEL, Path(run_path) / RunFiles.PREDICTIONS
    if not (model / ModelFiles.CONFIG).is_file() or not predictions.is_file():
        return None
    try:
        texts = pd.read_parquet(predictions, columns=["text"])["text"].astype(str).head(COVERAGE_SAMPLE).tolist()
        share = coverage(texts, load_tokenizer(ModelSource(str(model), str(model), "local", model.name)))
    except (TuneboardError, OSError, ValueError, KeyError):
        return None
    return None if share is None else Reading(share, data_script(texts))


def hub_suggestions(script: str | None, limit: int = 2) -> str:
    """'hfl/rbt3, bert-base-chinese'-style list of hub ids that read ``script`` ('' when there is no list)."""
    return t("engine.list_sep").join(m.id for m in HUB_MODELS.get(script or "", ())[:limit])


def data_script(texts: Sequence[str]) -> str | None:
    """``"zh"`` when the texts are mostly Han characters, else None (only Chinese has a hub list so far)."""
    letters = han = 0
    for text in texts:
        for ch in str(text):
            if ch.isalpha():
                letters += 1
                han += unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")
    return "zh" if letters and han / letters >= SCRIPT_SHARE else None


def coverage(texts: Sequence[str], tokenizer: Any) -> float | None:
    """Share of the texts' tokens that ``tokenizer`` knows only as unknown (None: it has no unknown token)."""
    ids = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
    found = unknown_share(ids, tokenizer, pair=False)
    return None if found is None else found[0]


def choose_model(texts: Sequence[str], current: str, candidates: Sequence[str],
                 tokenizer_for: Callable[[str], Any]) -> ModelChoice:
    """Keep ``current`` unless most of the texts' tokens are unknown to it; then the candidate (in order of
    preference) whose tokenizer knows them, else TF-IDF. ``tokenizer_for(source)`` loads a tokenizer."""
    texts = [str(x) for x in texts[:COVERAGE_SAMPLE]]
    if current == BASELINE_MODEL or not texts:
        return ModelChoice(current, current)
    shares = {current: _share(texts, current, tokenizer_for)}
    if shares[current] is None or shares[current] <= UNK_WARN_SHARE:
        return ModelChoice(current, current, shares=shares)
    for source in candidates:
        if source not in shares and source != BASELINE_MODEL:
            shares[source] = _share(texts, source, tokenizer_for)
    readable = [s for s in shares if s != current and shares[s] is not None and shares[s] <= UNK_WARN_SHARE]
    values = {"model": display_name(current), "share": shares[current], "script": data_script(texts)}
    if readable:
        best = min(readable, key=lambda s: shares[s])
        return ModelChoice(best, current, "zhmodel.reason.other_model",
                           {**values, "chosen": display_name(best), "chosen_share": shares[best]}, shares)
    return ModelChoice(BASELINE_MODEL, current, "zhmodel.reason.tfidf", values, shares)


def recommend_model(texts: Sequence[str], current: str, models_dir: Path | None = None) -> ModelChoice:
    """``choose_model`` over the models this server has: the bundled one, then the models folder's (newest first)."""
    from tuneboard.model.catalog import DEFAULT_MODEL, list_local_models, load_tokenizer, resolve_model

    local = {m.location: m for m in list_local_models(models_dir)[:10]}  # listed by the server, not typed

    def tokenizer_for(source: str) -> Any:  # what a browser typed loads only from the models folder or the hub
        return load_tokenizer(local.get(source) or resolve_model(source, allow_any_path=False))

    return choose_model(texts, current or DEFAULT_MODEL, [DEFAULT_MODEL, *local], tokenizer_for)


def display_name(source: str) -> str:
    """A model's short name as people know it: the bundled model's, a folder's, or the hub id."""
    from tuneboard.model.catalog import DEFAULT_MODEL

    if source in ("", DEFAULT_MODEL):
        return "all-MiniLM-L6-v2"
    if source == BASELINE_MODEL:
        return "TF-IDF"
    return Path(source).name if Path(source).is_absolute() else source


def _share(texts: list[str], source: str, tokenizer_for: Callable[[str], Any]) -> float | None:
    try:
        return coverage(texts, tokenizer_for(source))
    except TuneboardError:  # a hub model on an offline server cannot be measured: neither kept nor chosen by this
        return None
