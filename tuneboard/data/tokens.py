"""How a model's tokenizer reads a table's texts: the share of tokens it does not know, and how much text its
max length holds, in the data's own unit (words, or Chinese characters for Chinese text)."""
from __future__ import annotations

from typing import Any

from tuneboard.data.cjk import CJK, is_cjk_data
from tuneboard.i18n import t

UNK_WARN_SHARE = 0.05  # above this share of [UNK], the model does not read the data's language


def words_per_token(texts: list[str], ids: list[list[int]], specials: int,
                    pairs: list[str] | None = None) -> dict[str, Any]:
    """What one token of this tokenizer holds on these texts, measured: Chinese (CJK) characters per token
    for CJK data (about 1 for BERT-style vocabularies, which split CJK text into characters), else words
    (split at spaces) per token. ``unit`` says which: 'cjk_chars' or 'words'."""
    joined = texts + (pairs or [])
    cjk = is_cjk_data(joined)
    tokens = sum(len(x) for x in ids) - specials * len(ids)
    units = sum(len(CJK.findall(x)) for x in joined) if cjk else sum(len(x.split()) for x in joined)
    return {"unit": "cjk_chars" if cjk else "words", "per_token": units / tokens if tokens > 0 else 0.0}


def tokens_hold(max_length: int, lengths: dict[str, Any]) -> str:
    """One sentence: how much text ``max_length`` tokens hold, in the data's own unit (``words_per_token``)."""
    # keys zhtext.tokens.hold_cjk_chars, zhtext.tokens.hold_words
    return t(f"zhtext.tokens.hold_{lengths['unit']}", max_length=max_length,
             n=max(1, round(max_length * lengths["per_token"])))


def unknown_share(ids: list[list[int]], tokenizer: Any, pair: bool) -> tuple[float, list[str]] | None:
    """Share of [UNK] among real (non-special) tokens; None when the tokenizer has no unknown token."""
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is None:
        return None
    specials = tokenizer.num_special_tokens_to_add(pair=pair)
    total = sum(len(x) for x in ids) - specials * len(ids)
    hits = [sum(1 for t in x if t == unk) for x in ids]
    examples = [i for i, h in enumerate(hits) if h][:3]
    texts = [tokenizer.decode(ids[i], skip_special_tokens=False)[:80] for i in examples]
    return (sum(hits) / total if total > 0 else 0.0), texts
