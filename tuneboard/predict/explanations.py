"""Why this label: which words of a text pushed the model toward a label and which against.

Two attribution methods from Captum, both on a fine-tuned transformer loaded by ``Predictor``:

- ``occlusion`` (Captum ``FeatureAblation``): each word's tokens are replaced by ``[MASK]`` in turn; a
  word's weight is how much the label's probability falls without it. One batched forward pass.
- ``ig`` (Captum ``LayerIntegratedGradients`` on the word embeddings, baseline ``[PAD]``).

The default was chosen by measuring both (bench/bench_explain.py, figures in bench/RESULTS.md): on the
demo, deleting IG's top-3 words dropped the label's probability by 0.335 on average (occlusion's:
0.293, 3 random words: 0.035), at 186 ms per explanation on 2 CPU cores (occlusion: 215 ms).
Token weights are summed into words with the tokenizer's ``word_ids`` and offsets, so sub-word pieces
show as one word; Chinese/Japanese/Korean characters are merged into words (``cjk.word_spans``), and
punctuation and symbols are never words (a model may lean on "。", but it is not a reason a person can use).

The TF-IDF model is explained exactly instead: a linear model's score is the sum of its features'
TF-IDF values times their weights, and each n-gram's share is spread over the characters it covers.
"""
from __future__ import annotations

import bisect
import html
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from tuneboard.data.cjk import CJK, is_symbol, word_spans
from tuneboard.errors import ConfigError
from tuneboard.i18n import t as tr  # ``t`` is a token index throughout this module
from tuneboard.predict.inference import BaselinePredictor, Predictor

METHODS = ("occlusion", "ig")
DEFAULT_METHOD = "ig"
LINEAR_METHOD = "linear"  # the TF-IDF model's own weights
IG_STEPS = 24  # one batched pass of 24 interpolations: ~0.2 s per demo text on 2 CPU cores (bench_explain)


@dataclass
class Word:
    """One word of the text with its weight: > 0 toward the label, < 0 against."""

    text: str
    start: int
    end: int
    weight: float


@dataclass
class Explanation:
    """The words of ``text`` weighted for ``label`` (whose score the model gave as ``score``)."""

    text: str
    label: str
    score: float
    method: str
    words: list[Word] = field(default_factory=list)
    truncated: bool = False  # the model read only the first tokens; later words carry no weight

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "words": [asdict(w) for w in self.words]}

    def top(self, k: int = 5, toward: bool = True) -> list[Word]:
        """The ``k`` words pushing hardest toward (or against) the label."""
        sign = 1.0 if toward else -1.0
        ranked = sorted((w for w in self.words if sign * w.weight > 0), key=lambda w: -sign * w.weight)
        return ranked[:k]


def explain(predictor: Predictor, texts: list[str], labels: list[str | None] | None = None,
            method: str = DEFAULT_METHOD, pairs: list[str] | None = None) -> list[Explanation]:
    """One explanation per text, for the given label (default: the label the model predicts)."""
    if method not in METHODS:
        raise ConfigError(tr("engine.err.explain.method", method=method, methods=", ".join(METHODS)))
    if predictor.task == "regression":
        raise ConfigError(tr("engine.err.explain.regression"))
    wanted = labels or [None] * len(texts)
    predicted = predictor.predict(texts, pairs)
    out = []
    for i, text in enumerate(texts):
        label = wanted[i] or _top_label(predicted[i], predictor)
        if label not in predictor.labels:
            raise ConfigError(tr("engine.err.explain.label", label=label, labels=", ".join(predictor.labels)))
        score, pair = predicted[i]["scores"][label], pairs[i] if pairs is not None else None
        if isinstance(predictor, BaselinePredictor):
            out.append(_explain_linear(predictor, str(text), label, score, pair))
        else:
            out.append(_explain_one(predictor, str(text), label, score, method, pair))
    return out


def _top_label(result: dict[str, Any], predictor: Predictor) -> str:
    label = result["label"]
    if isinstance(label, list):  # multi-label: explain the strongest tag
        return max(result["scores"], key=result["scores"].get)
    return str(label)


def _explain_one(predictor: Predictor, text: str, label: str, score: float, method: str,
                 pair: str | None) -> Explanation:
    import torch

    enc = predictor.tokenizer(text, pair, truncation=True, max_length=predictor.max_length,
                              return_offsets_mapping=True, return_tensors="pt")
    units, spans = word_units(enc, text)
    ids = enc["input_ids"].to(predictor.device)
    mask = enc["attention_mask"].to(predictor.device)
    forward = _score_function(predictor, predictor.labels.index(label))
    with torch.enable_grad():  # IG needs gradients even when a caller predicts under inference_mode
        token_weights = (_ig if method == "ig" else _occlusion)(predictor, forward, ids, mask, units)
    weights = np.zeros(len(spans))
    for t, u in enumerate(units):
        if u >= 0:
            weights[u] += token_weights[t]
    words = [Word(text[s:e], s, e, float(w)) for (s, e), w in zip(spans, weights, strict=True)]
    read = [int(end) for (_, end), seq in zip(enc["offset_mapping"][0].tolist(), enc.sequence_ids(0), strict=True)
            if seq == 0]  # every token of the text the model read, punctuation included
    last = max(read, default=0)
    return Explanation(text, label, float(score), method, words, truncated=bool(text[last:].strip()))


def word_units(enc: Any, text: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Map each token to a display word (-1: special token, second text, punctuation) and each word to its span.

    Tokens of one tokenizer word form one word (sub-word pieces merged). CJK scripts have no spaces, so
    a tokenizer "word" can be a character or a whole clause: tokens holding CJK characters are grouped
    by the word of ``cjk.word_spans`` their first character falls in. A token of only punctuation or
    symbols belongs to no word."""
    word_ids, seq_ids = enc.word_ids(0), enc.sequence_ids(0)
    offsets = enc["offset_mapping"][0].tolist()
    units = np.full(len(word_ids), -1, dtype=int)
    spans: list[tuple[int, int]] = []
    key_to_unit: dict[Any, int] = {}
    cjk_words = word_spans(text) if CJK.search(text) else []
    for t, (wid, seq) in enumerate(zip(word_ids, seq_ids, strict=True)):
        start, end = offsets[t]
        if wid is None or seq != 0 or end <= start or is_symbol(text[start:end]):
            continue
        key = ("cjk", _word_at(cjk_words, start)) if CJK.search(text[start:end]) else ("word", wid)
        if key not in key_to_unit:
            key_to_unit[key] = len(spans)
            spans.append((start, end))
        u = key_to_unit[key]
        spans[u] = (min(spans[u][0], start), max(spans[u][1], end))
        units[t] = u
    return _merge_overlaps(units, spans)


def _word_at(spans: list[tuple[int, int]], pos: int) -> int:
    """Index of the span holding ``pos`` (the nearest one before it when ``pos`` falls between spans)."""
    return max(bisect.bisect_right([s for s, _ in spans], pos) - 1, 0)


def _merge_overlaps(units: np.ndarray, spans: list[tuple[int, int]]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One word for words whose spans overlap (a token can straddle two dictionary words), so that the
    highlighted text shows every character once; words come out in reading order."""
    order = sorted(range(len(spans)), key=lambda u: spans[u])
    new_of, merged = {}, []
    for u in order:
        start, end = spans[u]
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
        new_of[u] = len(merged) - 1
    return np.array([new_of[u] if u >= 0 else -1 for u in units], dtype=int), merged


def _explain_linear(predictor: BaselinePredictor, text: str, label: str, score: float,
                    pair: str | None) -> Explanation:
    """The TF-IDF model's exact reasons: each n-gram's TF-IDF value times its weight for ``label``
    (against the other labels' mean), spread over the characters it covers, summed per word."""
    from tuneboard.predict.baseline import feature_weights

    joined = text if pair is None else f"{text} [SEP] {pair}"
    features, contributions = feature_weights(predictor.model, joined, predictor.labels.index(label))
    lowered, words_model = joined.lower(), predictor.model.analyzer == "word"
    per_char = np.zeros(len(text))
    for feature, value in zip(features, contributions, strict=True):
        core = feature.strip()
        if not core:
            continue
        # word features ("not good") match whole words; character n-grams match anywhere
        pattern = (r"(?<!\w)" + r"\W+".join(map(re.escape, core.split())) + r"(?!\w)") if words_model \
            else re.escape(core)
        hits = [(m.start(), m.end()) for m in re.finditer(pattern, lowered) if m.end() <= len(text)]
        for start, end in hits:  # TF-IDF counts a repeated n-gram once: share its weight between its places
            per_char[start:end] += value / len(hits) / (end - start)
    words = [Word(text[s:e], s, e, float(per_char[s:e].sum())) for s, e in word_spans(text)]
    return Explanation(text, label, float(score), LINEAR_METHOD, words)


def _score_function(predictor: Predictor, target: int) -> Callable[..., Any]:
    """input ids -> the target label's probability, shape (batch,)."""
    import torch

    def forward(input_ids: Any, attention_mask: Any) -> Any:
        if attention_mask.shape[0] != input_ids.shape[0]:  # Captum batches the ids, not extra arguments
            attention_mask = attention_mask.expand(input_ids.shape[0], -1)
        logits = predictor.model(input_ids=input_ids, attention_mask=attention_mask).logits.float()
        if predictor.task == "multi_label":
            return torch.sigmoid(logits[:, target])
        return torch.softmax(logits, dim=-1)[:, target]

    return forward


def _occlusion(predictor: Predictor, forward: Callable[..., Any], ids: Any, mask: Any,
               units: np.ndarray) -> np.ndarray:
    import torch
    from captum.attr import FeatureAblation

    tok = predictor.tokenizer
    filler = tok.mask_token_id if tok.mask_token_id is not None else (tok.unk_token_id or 0)
    keep = torch.as_tensor(units < 0, device=ids.device).unsqueeze(0)
    baselines = torch.where(keep, ids, torch.full_like(ids, filler))  # special tokens are never masked
    groups = torch.as_tensor(np.maximum(units, -1) + 1, device=ids.device).unsqueeze(0)  # 0: not a word
    with torch.inference_mode():
        attr = FeatureAblation(forward).attribute(ids, baselines=baselines, feature_mask=groups,
                                                  additional_forward_args=(mask,),
                                                  perturbations_per_eval=int(groups.max()) + 1)
    # FeatureAblation gives every token its word's full drop; count the word once.
    counts = np.bincount(units[units >= 0], minlength=int(units.max()) + 1) if (units >= 0).any() else np.ones(1)
    out = attr[0].float().cpu().numpy()
    return np.where(units >= 0, out / counts[np.maximum(units, 0)], 0.0)


def _ig(predictor: Predictor, forward: Callable[..., Any], ids: Any, mask: Any, units: np.ndarray) -> np.ndarray:
    import torch
    from captum.attr import LayerIntegratedGradients

    tok = predictor.tokenizer
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    keep = torch.as_tensor(units < 0, device=ids.device).unsqueeze(0)
    baselines = torch.where(keep, ids, torch.full_like(ids, pad))
    lig = LayerIntegratedGradients(forward, predictor.model.get_input_embeddings())
    attr = lig.attribute(ids, baselines=baselines, additional_forward_args=(mask,), n_steps=IG_STEPS,
                         internal_batch_size=IG_STEPS)
    return attr.sum(dim=-1)[0].detach().float().cpu().numpy()


def highlight_html(explanation: Explanation) -> str:
    """The text as HTML: green behind words pushing toward the label, red against, stronger = more.
    Built only from escaped text, so a text can never inject markup."""
    text, peak = explanation.text, max((abs(w.weight) for w in explanation.words), default=0.0) or 1.0
    parts, pos = [], 0
    for w in sorted(explanation.words, key=lambda w: w.start):
        parts.append(html.escape(text[pos:w.start]))
        alpha = min(1.0, abs(w.weight) / peak) * 0.8
        color = f"rgba(22,163,74,{alpha:.2f})" if w.weight > 0 else f"rgba(220,38,38,{alpha:.2f})"
        parts.append(f'<span class="tb-word" style="background:{color};border-radius:3px;padding:0 1px" '
                     f'title="{w.weight:+.3f}">{html.escape(text[w.start:w.end])}</span>')
        pos = w.end
    parts.append(html.escape(text[pos:]))
    return f'<div class="tb-explained" style="line-height:1.9">{"".join(parts)}</div>'


def without(text: str, words: list[Word]) -> str:
    """``text`` with ``words`` deleted (and the doubled spaces that leaves behind)."""
    out, pos = [], 0
    for w in sorted(words, key=lambda w: w.start):
        out.append(text[pos:w.start])
        pos = w.end
    out.append(text[pos:])
    return re.sub(r"\s{2,}", " ", "".join(out)).strip()


def deletion_faithfulness(predictor: Predictor, texts: list[str], method: str = DEFAULT_METHOD, k: int = 3,
                          repeats: int = 5, seed: int = 0) -> dict[str, Any]:
    """Delete each text's ``k`` words that most support its predicted label, and ``k`` random words
    (``repeats`` draws): mean drop of the label's score for both. A faithful method drops it more."""
    rng = random.Random(seed)
    top_drops, random_drops = [], []
    for e in explain(predictor, texts, method=method):
        if len(e.words) <= k:
            continue
        j = predictor.labels.index(e.label)
        variants = [without(e.text, e.top(k))] + [without(e.text, rng.sample(e.words, k)) for _ in range(repeats)]
        scores = predictor.scores(variants)[:, j]
        top_drops.append(e.score - float(scores[0]))
        random_drops.append(e.score - float(scores[1:].mean()))
    n = len(top_drops)
    return {"method": method, "k": k, "n": n, "top_k_drop": float(np.mean(top_drops)) if n else float("nan"),
            "random_k_drop": float(np.mean(random_drops)) if n else float("nan")}
