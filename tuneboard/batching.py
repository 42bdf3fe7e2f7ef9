"""Tokenize once, then batch by length so little compute is spent on padding.

Hand-written rather than a ``DataCollatorWithPadding`` + length-grouped sampler because the
training loop re-splits batches after an out-of-memory error, and needs batches as index lists.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch

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


def collate(enc: Encoded, idx: list[int], device: torch.device | str = "cpu",
            target_dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """Pad the examples ``idx`` to the batch's longest (rounded up to a multiple of 8)."""
    seqs = [enc.input_ids[i] for i in idx]
    width = max(len(s) for s in seqs)
    width = -(-width // PAD_MULTIPLE) * PAD_MULTIPLE
    ids = np.full((len(seqs), width), enc.pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    types = np.zeros((len(seqs), width), dtype=np.int64) if enc.token_type_ids is not None else None
    for row, (i, s) in enumerate(zip(idx, seqs)):
        ids[row, :len(s)] = s
        mask[row, :len(s)] = 1
        if types is not None:
            types[row, :len(s)] = enc.token_type_ids[i]
    batch = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
    if types is not None:
        batch["token_type_ids"] = torch.from_numpy(types)
    if enc.targets is not None and target_dtype is not None:
        batch["labels"] = torch.as_tensor(enc.targets[idx], dtype=target_dtype)
    non_blocking = str(device).startswith("cuda")
    return {k: v.to(device, non_blocking=non_blocking) for k, v in batch.items()}


def iterate(enc: Encoded, batches: list[list[int]], device: torch.device | str,
            target_dtype: torch.dtype | None = None) -> Iterator[tuple[list[int], dict[str, torch.Tensor]]]:
    for idx in batches:
        yield idx, collate(enc, idx, device, target_dtype)
