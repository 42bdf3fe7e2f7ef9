"""The words Tuneboard shows, in English and Simplified Chinese: ``t("key", **values)``.

Strings live in keyed catalogs, not in code: ``tuneboard/locales/<language>/<part>.json`` (flat
``{"key": "text with {placeholders}"}``). Each part is owned by one area (``app`` for the app's
chrome and first pages, ``eval`` for the pages after training, ``engine`` for messages the engine
raises or writes: errors, coaching, data-health findings). ``tests/unit/shared/test_i18n.py`` fails when a
key is missing in a language, when the placeholders of its two texts differ, or when code asks for a
key no catalog has.

The language is per thread of work (a ``ContextVar``): the app sets it for each script run from the
person's choice, so a message the engine builds while serving that run is in their language; a
background training thread keeps the default (English), so history files are written in one language.
"""
from __future__ import annotations

import json
import string
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"
LOCALES = Path(__file__).resolve().parent / "locales"
_language: ContextVar[str] = ContextVar("tuneboard_language", default=DEFAULT)


def set_language(language: str) -> None:
    """Use ``language`` (a key of ``LANGUAGES``; anything else means English) from now on in this context."""
    _language.set(language if language in LANGUAGES else DEFAULT)


def language() -> str:
    return _language.get()


def pick_language(wanted: str | None) -> str:
    """A supported language for a browser's ``Accept-Language``-style tag (``zh-CN`` → ``zh``)."""
    tag = (wanted or "").strip().lower().replace("_", "-")
    for code in LANGUAGES:
        if tag == code or tag.startswith(code + "-"):
            return code
    return DEFAULT


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """Every key of ``language``, from all its parts (read once per process)."""
    merged: dict[str, str] = {}
    for part in sorted((LOCALES / language).glob("*.json")):
        merged.update(json.loads(part.read_text(encoding="utf-8")))
    return merged


class Said(str):
    """A text from the catalog that remembers its key and values, so that a record of it (a run's notices, a
    status reason, an error) can be read later in another language: it is the text in the current language
    for everyone else. A value may itself be a ``Said`` (a reason inside a sentence): it is said again too."""

    key: str
    values: dict[str, Any]


def t(key: str, /, **values: Any) -> Said:
    """The text of ``key`` in the current language (English when the key is missing there, the key
    itself when it is missing everywhere), with ``{placeholders}`` filled from ``values``."""
    return _say(language(), key, values)


said = t  # the name to use where the key is the point: a text that will be stored and read again


def english(key: str, /, **values: Any) -> Said:
    """``key`` in English whatever the current language (what logs and stored records keep)."""
    return _say(DEFAULT, key, values)


def _say(lang: str, key: str, values: dict[str, Any]) -> Said:
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    if values:
        text = text.format(**{name: retell(v, lang) for name, v in values.items()})
    out = Said(text)
    out.key, out.values = key, values
    return out


def retell(text: Any, lang: str | None = None) -> Any:
    """``text`` in ``lang`` (default: the current language) when it came from the catalog; any other text
    (a message from before keys, a library's) as it is."""
    if isinstance(text, Said):
        return _say(lang or language(), text.key, text.values)
    return text


def to_record(text: Said) -> dict[str, Any]:
    """What a file keeps of a catalog text so that it can be said again: ``{"key": ..., "values": {...}}``."""
    return {"key": text.key, "values": {name: to_record(v) if isinstance(v, Said) else v
                                        for name, v in text.values.items()}}


def from_record(record: dict[str, Any]) -> Said:
    """The text a ``to_record`` record keeps, in the current language."""
    values = {name: from_record(v) if isinstance(v, dict) and "key" in v else v
              for name, v in (record.get("values") or {}).items()}
    return t(str(record["key"]), **values)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a catalog text expects (what both languages of a key must agree on)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
