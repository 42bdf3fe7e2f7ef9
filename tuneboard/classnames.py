"""Class names: what a label code (``0``, ``1``, ``"A"``, ``"pos3"``) means to a person.

A table labeled 0/1 says nothing to whoever reads Evaluate, Predict, the API or the report. Here a person
names (and describes) each code once, on Data; the names then travel in ``TrainConfig.classes``, so a run
trains on the names from the start (the model's ``id2label``, its metrics, predictions, exports and API
all speak them). A validation or evaluation file may still hold the codes: ``name_of`` accepts a code
or a name.

A person's names for a dataset are remembered by ``tuneboard.data.classrecords``; what a finished run calls its
classes is renamed by ``tuneboard.lifecycle.classes``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tuneboard.errors import DataError
from tuneboard.i18n import t

MAX_NAME = 60  # a name is a word or two; a chart's axis and a table's column must still fit it
MAX_DESCRIPTION = 300
SEPARATOR = "|"  # joins the tags of a multi-label row in predictions and the served log: never inside a name
MAX_CLASSES = 200  # past this many, labels are not codes a person names one by one
_INTEGER = re.compile(r"[+-]?\d+(\.0+)?")
_SHORT = re.compile(r"[A-Za-z]{1,2}\d{0,2}")  # "A", "B", "c1", "NG": letters a codebook uses
_PREFIXED = re.compile(r"([A-Za-z]+[_-]?)(\d+)")  # "pos0", "LABEL_1", "class-2"


@dataclass(frozen=True)
class ClassName:
    """One class: its ``code`` in the data, the ``name`` people read, and an optional ``description``."""

    code: str
    name: str
    description: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


Classes = tuple[ClassName, ...]


def looks_like_codes(labels: Iterable[Any]) -> bool:
    """Whether ``labels`` read as codes rather than names: all integers (0/1, 1..5), all short letter
    codes ("A", "B"), or one prefix with numbers ("pos0", "pos1"). Names ("refund", "late delivery") do not."""
    values = [str(v).strip() for v in labels]
    if len(values) < 2 or len(values) > MAX_CLASSES or any(not v for v in values):
        return False
    if all(_INTEGER.fullmatch(v) for v in values):
        return True
    if all(_SHORT.fullmatch(v) for v in values):
        return True
    prefixes = {m.group(1).lower() if m else None for m in map(_PREFIXED.fullmatch, values)}
    return len(prefixes) == 1 and None not in prefixes


def from_records(records: Iterable[Any]) -> Classes:
    """``ClassName``s from what JSON holds (dicts with code/name/description), or from ``ClassName``s."""
    out = []
    for r in records or ():
        if isinstance(r, ClassName):
            out.append(r)
        elif isinstance(r, Mapping):
            out.append(ClassName(str(r.get("code", "")), str(r.get("name", "")), str(r.get("description") or "")))
        else:
            raise DataError(t("classes.err.record"))
    return tuple(out)


def check_classes(classes: Iterable[Any], labels: Iterable[str] | None = None) -> Classes:
    """The classes trimmed and checked: every name non-empty, short, unique (ignoring case), and never another
    class's code; every code one of ``labels`` when given. Raises ``DataError`` (one line) otherwise.
    A class whose name is its code (left unnamed) is dropped: it needs no record."""
    checked = [ClassName(_clean(c.code), _clean(c.name), _clean(c.description, keep_lines=True))
               for c in from_records(classes)]
    codes = [c.code for c in checked]
    if len(set(codes)) != len(codes):
        raise DataError(t("classes.err.same_code", code=next(c for c in codes if codes.count(c) > 1)))
    known = None if labels is None else [str(x) for x in labels]
    seen: dict[str, str] = {}
    for c in checked:
        if known is not None and c.code not in known:
            raise DataError(t("classes.err.unknown_code", code=c.code[:40], codes=", ".join(known[:10])))
        if not c.name:
            raise DataError(t("classes.err.empty_name", code=c.code[:40]))
        if SEPARATOR in c.name:
            raise DataError(t("classes.err.separator", code=c.code[:40], separator=SEPARATOR))
        if len(c.name) > MAX_NAME:
            raise DataError(t("classes.err.long_name", code=c.code[:40], max=MAX_NAME))
        if len(c.description) > MAX_DESCRIPTION:
            raise DataError(t("classes.err.long_description", code=c.code[:40], max=MAX_DESCRIPTION))
        key = c.name.casefold()
        if key in seen:
            raise DataError(t("classes.err.same_name", name=c.name, first=seen[key], second=c.code))
        seen[key] = c.code
    others = set(known or codes)
    for c in checked:  # "1" as the name of code 0 would be read as code 1 in a file that still has codes
        clash = next((o for o in others if o != c.code and o.casefold() == c.name.casefold()), None)
        if clash is not None:
            raise DataError(t("classes.err.name_is_code", name=c.name, code=c.code, other=clash))
    return tuple(c for c in checked if c.name != c.code or c.description)


def name_of(classes: Classes) -> dict[str, str]:
    """A lookup from what a file may hold (a code, a name in any case) to the class's name."""
    lookup = {c.name.casefold(): c.name for c in classes}
    lookup.update({c.code: c.name for c in classes})
    return lookup


def rename(value: str, lookup: Mapping[str, str]) -> str:
    """``value``'s class name under ``lookup`` (``name_of``); a value it does not know stays as it is."""
    return lookup.get(value) or lookup.get(value.casefold()) or value


def natural_key(label: str) -> tuple[Any, ...]:
    """Numbers by value ("2" before "10"), then words ignoring case: the order of a model's classes."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label.casefold())


def ordered(labels: list[str], classes: Classes) -> list[str]:
    """``labels`` in the order of their codes, as if unnamed: naming (0 = "positive", 1 = "negative") keeps
    code 1 the second class (the one a binary threshold is about), and a rename never reorders a model's
    classes, so ``id2label``'s indices stay what they were."""
    code = {c.name: c.code for c in classes}
    return sorted(labels, key=lambda x: natural_key(code.get(x, x)))


def codes_of(labels: list[str], classes: Classes) -> list[str]:
    """The code behind each of ``labels`` (a name from ``classes``, or a code left unnamed)."""
    code = {c.name: c.code for c in classes}
    return [code.get(x, x) for x in labels]


def described(classes: Classes) -> dict[str, str]:
    """``{name: description}`` of the classes that have one (for the tables people read)."""
    return {c.name: c.description for c in classes if c.description}


def _clean(text: Any, keep_lines: bool = False) -> str:
    """Trimmed, NFC, with no control character (a tab or a newline in a name would break a table or a CSV)."""
    text = unicodedata.normalize("NFC", str(text if text is not None else ""))
    if keep_lines:
        return " ".join(text.split())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
