"""Sentence embeddings of a table's texts by an encoder (the bundled one by default), cached on disk.

Active learning and zero-shot guesses read a text as a point in the encoder's space: mean pooling over its
tokens, L2-normalised, as sentence-transformers does for all-MiniLM-L6-v2. Embedding 50,000 texts takes
minutes on a CPU, so the vectors are kept per table (a hash of the encoder and of every text) in one
safetensors file, written atomically: a later suggestion only reads it. Never a pickle.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.paths import embeddings_root

BATCH = 64
MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained on 128 tokens; longer texts cost time and add little
CACHE_SUFFIX = ".safetensors"
_ENCODERS: dict[str, tuple[Any, Any]] = {}
_LOCK = threading.Lock()


def encoder_location(model: str | None = None) -> str | None:
    """The folder of ``model`` (the bundled encoder when None), or None when it cannot be found."""
    if model:
        return str(model)
    from tuneboard.errors import ModelLoadError
    from tuneboard.model import resolve_model

    try:
        return resolve_model("default").location
    except ModelLoadError:
        return None


def table_key(texts: Sequence[str], location: str) -> str:
    """A name for (encoder, texts): the encoder's folder and its weights' size and time, then every text."""
    h = hashlib.sha256()
    weights = Path(location) / "model.safetensors"
    stamp = f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}" if weights.is_file() else ""
    h.update(f"{Path(location).resolve()}|{stamp}|{len(texts)}\n".encode())
    for text in texts:
        data = str(text).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:40]


def cache_path(texts: Sequence[str], location: str) -> Path:
    return embeddings_root() / f"{table_key(texts, location)}{CACHE_SUFFIX}"


def cached_embeddings(texts: Sequence[str], model: str | None = None) -> np.ndarray | None:
    """The cached embeddings of ``texts`` (rows in order, float32), or None when not cached yet."""
    location = encoder_location(model)
    if location is None:
        return None
    path = cache_path(texts, location)
    if not path.is_file():
        return None
    from safetensors.numpy import load_file

    try:
        vectors = load_file(str(path))["embeddings"]
    except Exception:  # noqa: BLE001 -- a torn or foreign file is a cache miss, computed again
        return None
    return vectors.astype(np.float32) if len(vectors) == len(texts) else None


def embed_table(texts: Sequence[str], model: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The embeddings of ``texts``: read from the cache, else computed and cached (float16 on disk: half the
    size, and a cosine between unit vectors moves by < 1e-3)."""
    found = cached_embeddings(texts, model)
    if found is not None:
        return found
    location = encoder_location(model)
    if location is None:
        from tuneboard.errors import ModelLoadError
        from tuneboard.i18n import t

        raise ModelLoadError(t("engine.err.model.no_default"))
    vectors = embed_texts(texts, location, progress)
    from safetensors.numpy import save

    from tuneboard.files import write_bytes_atomic

    write_bytes_atomic(cache_path(texts, location), save({"embeddings": vectors.astype(np.float16)}))
    return vectors


def embed_texts(texts: Sequence[str], model: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings of ``texts`` (float32, one row each); nothing cached."""
    location = encoder_location(model)
    if location is None:
        raise ValueError("no encoder")
    import torch

    tokenizer, encoder = _encoder(location)
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    order = np.argsort([len(str(x)) for x in texts], kind="stable")  # similar lengths together: less padding
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH):
            rows = order[start:start + BATCH]
            batch = tokenizer([str(texts[i]) for i in rows], padding=True, truncation=True,
                              max_length=MAX_TOKENS, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[rows] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
            if progress is not None:
                progress(min(start + BATCH, len(texts)), len(texts))
    return out


def _encoder(location: str) -> tuple[Any, Any]:
    """The tokenizer and encoder of ``location``, loaded once per process (read-only, so threads share them)."""
    with _LOCK:
        if location not in _ENCODERS:
            from tuneboard.model import import_torch, names

            import_torch()
            auto_model, auto_tokenizer = names("AutoModel", "AutoTokenizer")
            tokenizer = auto_tokenizer.from_pretrained(location, trust_remote_code=False, use_fast=True)
            encoder = auto_model.from_pretrained(location, trust_remote_code=False,
                                                 use_safetensors=(Path(location) / "model.safetensors").is_file())
            _ENCODERS[location] = (tokenizer, encoder.eval())
        return _ENCODERS[location]
