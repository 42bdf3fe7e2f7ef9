"""The small family of errors a user can act on.

Each message says what happened, why, and what to do, in one line. The CLI prints ``str(e)`` and
exits 2; pages show ``st.error(str(e))``. Anything that is *not* a ``TuneboardError`` is a bug and
is reported as an unexpected failure with a log file.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuneboard.i18n import Said, t


class _Localized:
    """A class attribute whose text is looked up in the current language each time it is read."""

    def __init__(self, text: Callable[[], str]) -> None:
        self._text = text

    def __get__(self, obj: Any, owner: Any = None) -> str:
        return self._text()


class TuneboardError(Exception):
    """Base class: a problem the user can fix. ``str(e)`` is a complete, one-line message."""

    title = _Localized(lambda: t("engine.title.problem"))

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
        # the catalog text it was said with (key and values), so that a record of it reads in any language
        self.said = message if isinstance(message, Said) else None

    def reason(self) -> str:
        """What a run's status keeps of this error: the catalog text when it has one, else the message."""
        return self.said if self.said is not None else str(self)


class DataError(TuneboardError):
    """The data file cannot be read or used as given."""

    title = _Localized(lambda: t("engine.title.data"))


class ConfigError(TuneboardError):
    """A setting is invalid or settings contradict each other."""

    title = _Localized(lambda: t("engine.title.config"))


class ModelLoadError(TuneboardError):
    """A model could not be found or loaded."""

    title = _Localized(lambda: t("engine.title.model"))


class OutOfMemory(TuneboardError):
    """The run does not fit in the device's memory, even after shrinking the batch."""

    title = _Localized(lambda: t("engine.title.memory"))


class RunError(TuneboardError):
    """A run folder is missing, incomplete, or in the wrong state for the request."""

    title = _Localized(lambda: t("engine.title.run"))


class Stopped(Exception):
    """Raised inside the training loop when the user asked to stop (not an error)."""


class PermissionDenied(TuneboardError):
    """The signed-in user may not take this action on this run (the owner or an admin may)."""

    title = _Localized(lambda: t("engine.title.permission"))


class LimitReached(TuneboardError):
    """A per-person limit of a shared server (queued runs, disk, uploads) would be passed."""

    title = _Localized(lambda: t("engine.title.limit"))


def first_line(e: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message, at most ``limit`` characters ('' when it has none):
    library errors can run to pages, and a user reads one line."""
    text = str(e).strip()
    return text.splitlines()[0][:limit] if text else ""


def unexpected_reason(e: BaseException) -> str:
    """The one-line reason recorded for a run that failed on something that is not a ``TuneboardError``."""
    return t("engine.err.unexpected", kind=type(e).__name__, reason=first_line(e))


class DiskFull(RunError):
    """A write ran out of disk space (the temp file was removed; the old file, if any, is intact)."""

    title = _Localized(lambda: t("engine.title.disk"))
