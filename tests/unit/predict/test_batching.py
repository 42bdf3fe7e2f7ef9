import numpy as np
import pytest

from tuneboard.predict import batching
from tuneboard.predict.batching import PAD_MULTIPLE, collate, encode, encode_cached, length_batches


def test_length_batches_cover_every_example_once_and_group_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 300, 1000)
    batches = length_batches(lengths, 32, shuffle=True, seed=1)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    random_spread = np.mean([lengths[b].max() - lengths[b].min() for b in np.array_split(rng.permutation(1000), 32)])
    assert spread < random_spread / 5            # far less padding than random batches
    assert length_batches(lengths, 32, shuffle=True, seed=2) != batches  # reshuffled each epoch
    ev = length_batches(lengths, 100, shuffle=False)
    assert lengths[ev[0]].min() >= lengths[ev[-1]].max()  # evaluation: longest first


def test_collate_pads_to_a_multiple_of_8_with_masks(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    enc = encode(tok, ["good", "bad awful terrible slow broken"], None, 64, np.array([0, 1]))
    batch = collate(enc, [0, 1], "cpu", target_dtype=__import__("torch").long)
    assert batch["input_ids"].shape[1] % PAD_MULTIPLE == 0
    assert batch["attention_mask"].sum().item() == sum(len(x) for x in enc.input_ids)
    assert batch["labels"].tolist() == [0, 1]


def test_token_cache_skips_tokenization_the_second_time(tiny_model, tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    texts = ["good great love", "bad awful", "refund my card"]
    first = encode_cached(tok, texts, None, 32, None, tmp_path)
    assert len(list(tmp_path.glob("*.arrow"))) == 1
    monkeypatch.setattr(batching, "encode", lambda *a, **k: pytest.fail("tokenized again"))
    second = encode_cached(tok, texts, None, 32, None, tmp_path)
    assert second.input_ids == first.input_ids
    monkeypatch.undo()
    encode_cached(tok, texts, None, 16, None, tmp_path)  # another max length: another entry
    assert len(list(tmp_path.glob("*.arrow"))) == 2
