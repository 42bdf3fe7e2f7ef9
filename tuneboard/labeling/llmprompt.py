"""What an LLM is asked and how its answer is read: the prompt from the label set and a few labeled examples,
and a strict parser that accepts an exact class name or ``{"label": "<name>"}`` and nothing else.

The parser never guesses: "Positive.", "I think negative", a name of no class or a JSON object with
other keys is *unparsed*, counted and shown, and no label is made from it. A guessed label would slip into
the training data with the LLM's provenance and nobody would know it was a guess.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneboard.classnames import ClassName

MAX_TEXT_CHARS = 2000  # a ticket or review fits; a pasted log is cut (the cost stays bounded per row)
MAX_EXAMPLE_CHARS = 400
MAX_EXAMPLES = 12
MAX_RAW = 200  # characters of each raw answer kept for the person to read

SYSTEM = (
    "You label texts for a text classifier. Choose exactly one class for the text.\n"
    "Classes:\n{classes}\n"
    "Answer with the class name exactly as written above and nothing else, "
    'or with a JSON object {{"label": "<class name>"}}.'
)


@dataclass(frozen=True)
class Example:
    """A labeled row shown to the LLM: its position, its text and its class's code."""

    row: int
    text: str
    code: str


def class_lines(classes: Sequence[ClassName]) -> str:
    """One line per class: its name, and its description when it has one."""
    return "\n".join(f"- {c.name}: {c.description}" if c.description else f"- {c.name}" for c in classes)


def pick_examples(labeled: Mapping[int, str], texts: Sequence[str], classes: Sequence[ClassName],
                  per_class: int) -> list[Example]:
    """Up to ``per_class`` labeled rows of each class (the first ones, so the same rows are sent each time),
    at most ``MAX_EXAMPLES`` in all, interleaved by class so a cut keeps every class."""
    by_code: dict[str, list[int]] = {c.code: [] for c in classes}
    for row in sorted(labeled):
        rows = by_code.get(str(labeled[row]))
        if rows is not None and len(rows) < per_class and str(texts[row]).strip():
            rows.append(row)
    out = []
    for k in range(per_class):
        out += [Example(rows[k], str(texts[rows[k]]), code) for code, rows in by_code.items() if k < len(rows)]
    return out[:MAX_EXAMPLES]


def messages(text: str, classes: Sequence[ClassName], examples: Iterable[Example] = ()) -> list[dict[str, str]]:
    """The chat messages for one text: the class list, each example as a question and its answer, the text."""
    names = {c.code: c.name for c in classes}
    out = [{"role": "system", "content": SYSTEM.format(classes=class_lines(classes))}]
    for ex in examples:
        out += [{"role": "user", "content": _cut(ex.text, MAX_EXAMPLE_CHARS)},
                {"role": "assistant", "content": names[ex.code]}]
    return out + [{"role": "user", "content": _cut(text, MAX_TEXT_CHARS)}]


def parse_answer(answer: Any, classes: Sequence[ClassName]) -> str | None:
    """The code of the class ``answer`` names, or ``None``. Accepted, after outer white space: a class name
    exactly, or a JSON object whose only key is ``label`` and whose value is exactly a class name."""
    if not isinstance(answer, str):
        return None
    codes = {c.name: c.code for c in classes}
    text = answer.strip()
    if text in codes:
        return codes[text]
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, dict) and set(data) == {"label"} and isinstance(data["label"], str):
            return codes.get(data["label"])
    return None


def shorten(text: Any, limit: int = MAX_RAW) -> str:
    """A raw answer as kept in results: a string, at most ``limit`` characters."""
    return _cut("" if text is None else str(text), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
