"""Shared fixtures: a tiny random BERT + tokenizer built on the spot, small learnable tables,
and a private runs folder so tests never touch models/runs."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see tuneboard/__init__.py
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("TUNEBOARD_TEST", "1")

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "support_tickets.csv"

WORDS = ("good great love excellent happy fast amazing wonderful bad awful hate terrible slow broken refund "
         "invoice charge card payment password login account locked reset shipping parcel delivery late "
         "cancel subscription plan order the a my i is was and to not it please help with for of you "
         "hello hi thanks app error crash bug update").split()


def build_tiny_model(folder: Path) -> Path:
    """A 2-layer, 32-wide random BERT with a WordPiece vocabulary, saved like a hub model."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,!?'-#")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = list(dict.fromkeys(specials + sorted(set(WORDS)) + letters + [f"##{c}" for c in letters]))
    ids = {t: i for i, t in enumerate(vocab)}
    core = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(lowercase=True)
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    core.decoder = decoders.WordPiece()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    tok.save_pretrained(folder)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128,
                     initializer_range=0.2)  # wider init: a random model that can learn in a few steps
    import torch

    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(folder, safe_serialization=True)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    # alone in its folder: the app's tests make that folder the models folder, which must list nothing else
    # (another test's temp folder can hold models of its own)
    return str(build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-bert0"))


@pytest.fixture(autouse=True)
def _private_runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    runs = tmp_path / "runs"
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs))
    return runs


def sentiment_rows(n: int = 200, seed: int = 0) -> list[tuple[str, str]]:
    """A learnable two-class table: positive and negative words in filler sentences."""
    rng = random.Random(seed)
    pos, neg = WORDS[:8], WORDS[8:16]
    filler = "the my it is was and to with for".split()
    rows = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        words = rng.sample(pos if label == "positive" else neg, 3) + rng.sample(filler, 3)
        rng.shuffle(words)
        rows.append((" ".join(words), label))
    return rows


@pytest.fixture
def sentiment_csv(tmp_path: Path) -> Path:
    import csv

    path = tmp_path / "sentiment.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        w.writerows(sentiment_rows())
    return path


def run_async(coro):
    """``asyncio.run(coro)`` in a thread of its own: after the browser tests, Playwright's sync API keeps an
    event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
