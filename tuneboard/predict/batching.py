"""Tokenize once, then batch by length so little compute is spent on padding.

Hand-written rather than a ``DataCollatorWithPadding`` + length-grouped sampler because the
training loop re-splits batches after an out-of-memory error, and needs batches as index lists.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from tuneboard.errors import DiskFull
from tuneboard.files import atomic_path
from tuneboard.predict.token_cache import record_cache_use

PAD_MULTIPLE = 8  # tensor cores and CPU kernels like multiples of 8


@dataclass
class Encoded:
    """Token ids of every example (unpadded), and each example's target."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None
    targets: np.ndarray | None
    pad_id: int

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.input_ids), dtype=np.int64, count=len(self.input_ids))


def encode(tokenizer: Any, texts: list[str], pairs: list[str] | None, max_length: int,
           targets: np.ndarray | None = None) -> Encoded:
    """Tokenize with truncation and no padding (padding happens per batch)."""
    enc = tokenizer(list(texts), list(pairs) if pairs is not None else None, truncation=True,
                    max_length=max_length, padding=False, return_attention_mask=False)
    types = enc.get("token_type_ids")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return Encoded(enc["input_ids"], types, targets, pad)


def encode_cached(tokenizer: Any, texts: list[str], pairs: list[str] | None, max_length: int,
                  targets: np.ndarray | None, cache_dir: Path | None, used_by: Path | None = None) -> Encoded:
    """``encode``, cached on disk as Arrow: a second run on the same data and tokenizer skips
    tokenization. The key covers the texts, the tokenizer's full definition and ``max_length``.
    ``used_by`` (a run folder) records the entry's name there, so deleting the run can delete the
    entry too (the token ids decode back to the training texts)."""
    if cache_dir is None:
        return encode(tokenizer, texts, pairs, max_length, targets)
    import pyarrow as pa
    import pyarrow.feather as feather

    h = hashlib.sha1()
    h.update(_tokenizer_identity(tokenizer).encode())
    h.update(f"|{max_length}|{pairs is not None}|".encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    for t in pairs or []:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    path = Path(cache_dir) / f"{h.hexdigest()}.arrow"
    if used_by is not None:
        record_cache_use(Path(used_by), path)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    if path.is_file():
        try:
            table = feather.read_table(path)
            types = table.column("token_type_ids").to_pylist() if "token_type_ids" in table.column_names else None
            return Encoded(table.column("input_ids").to_pylist(), types, targets, pad)
        except Exception:  # a torn or foreign cache file: tokenize again
            path.unlink(missing_ok=True)
    enc = encode(tokenizer, texts, pairs, max_length, targets)
    columns = {"input_ids": pa.array(enc.input_ids, type=pa.list_(pa.int32()))}
    if enc.token_type_ids is not None:
        columns["token_type_ids"] = pa.array(enc.token_type_ids, type=pa.list_(pa.int8()))
    try:
        with atomic_path(path) as tmp:  # unique temp name: two runs may fill the same entry at once
            feather.write_feather(pa.table(columns), tmp)
    except (OSError, DiskFull):
        pass  # a cache that cannot be written (disk full included) only costs time
    return enc


def _tokenizer_identity(tokenizer: Any) -> str:
    """The tokenizer's full definition, minus the truncation/padding state a call leaves behind."""
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return repr(tokenizer)
    spec = json.loads(backend.to_str())
    spec.pop("truncation", None)
    spec.pop("padding", None)
    return json.dumps(spec, sort_keys=True)


def length_batches(lengths: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                   pool: int = 50) -> list[list[int]]:
    """Index batches of similar length.

    Training (``shuffle``): shuffle, cut into pools of ``pool`` batches, sort each pool by length,
    cut into batches, shuffle the batches -- random order, little padding.
    Evaluation: sort everything by length (longest first, so memory peaks at once).
    """
    n = len(lengths)
    if not shuffle:
        order = np.argsort(-lengths, kind="stable")
        return [order[i:i + batch_size].tolist() for i in range(0, n, batch_size)]
    rng = random.Random(seed)
    idx = list(range(n))
    rng.shuffle(idx)
    batches: list[list[int]] = []
    step = batch_size * pool
    for start in range(0, n, step):
        chunk = sorted(idx[start:start + step], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def pad_arrays(enc: Encoded, idx: list[int], multiple: int = PAD_MULTIPLE) -> dict[str, np.ndarray]:
    """The examples ``idx`` padded to the batch's longest (rounded up to a multiple of ``multiple``), as int64
    arrays: ``input_ids``, ``attention_mask`` and, when the tokenizer makes them, ``token_type_ids``."""
    seqs = [enc.input_ids[i] for i in idx]
    width = max(len(s) for s in seqs)
    width = -(-width // multiple) * multiple
    ids = np.full((len(seqs), width), enc.pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    types = np.zeros((len(seqs), width), dtype=np.int64) if enc.token_type_ids is not None else None
    for row, (i, s) in enumerate(zip(idx, seqs, strict=False)):
        ids[row, :len(s)] = s
        mask[row, :len(s)] = 1
        if types is not None:
            types[row, :len(s)] = enc.token_type_ids[i]
    arrays = {"input_ids": ids, "attention_mask": mask}
    if types is not None:
        arrays["token_type_ids"] = types
    return arrays


def collate(enc: Encoded, idx: list[int], device: torch.device | str = "cpu",
            target_dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """``pad_arrays`` as tensors on ``device``, plus the targets when ``target_dtype`` is given."""
    batch = {k: torch.from_numpy(v) for k, v in pad_arrays(enc, idx).items()}
    if enc.targets is not None and target_dtype is not None:
        batch["labels"] = torch.as_tensor(enc.targets[idx], dtype=target_dtype)
    non_blocking = str(device).startswith("cuda")
    return {k: v.to(device, non_blocking=non_blocking) for k, v in batch.items()}


def iterate(enc: Encoded, batches: list[list[int]], device: torch.device | str,
            target_dtype: torch.dtype | None = None) -> Iterator[tuple[list[int], dict[str, torch.Tensor]]]:
    for idx in batches:
        yield idx, collate(enc, idx, device, target_dtype)
