"""LLM pre-labels: any OpenAI-compatible chat endpoint (a local Ollama, vLLM or LM Studio server, or a hosted
API) labels rows of a table from the label names, descriptions and a few labeled examples.

Off by default; on a team server only an admin may run it (``require_llm``: the rows leave the machine).
The API key lives only in the secrets file (``.streamlit/secrets.toml``)::

    [llm]
    api_key = "sk-..."                       # optional: a local server needs none
    base_url = "http://localhost:11434/v1"   # optional defaults for the form
    model = "qwen2.5:7b"

The key is read when a client is made and goes nowhere else: not into ``LLMSettings`` (which is saved and
shown), not into a result, a log line or an error message (``scrub`` removes it from any text that leaves).
The app passes the secrets Streamlit loaded (``secrets=``: a team server is started with ``--secrets FILE``);
without them the engine reads the files Streamlit reads by default.
"""
from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tuneboard.classnames import ClassName
from tuneboard.errors import ConfigError, PermissionDenied
from tuneboard.i18n import t
from tuneboard.labeling.llmprompt import Example, messages, parse_answer, shorten
from tuneboard.team.access import User
from tuneboard.team.server import load_secrets, secrets_files, team_mode

log = logging.getLogger("tuneboard.llm")

SECRETS_TABLE = "llm"
MAX_THREADS = 4  # threads, never processes: the server never forks
MAX_RETRY_WAIT_S = 120.0  # a Retry-After longer than this is a quota, not a pause: the row fails
ANSWER_TOKENS = 32  # an answer is a class name or {"label": ...}; a longer one is unparsed anyway
# Sent to a server that needs no key: the client refuses none, and must never fall back to OPENAI_API_KEY
NO_KEY = "no-key"
# Statuses of a row: labeled, answered with no class, failed after its retries, not tried (budget or stop)
OK, UNPARSED, FAILED, SKIPPED = "ok", "unparsed", "failed", "skipped"


@dataclass(frozen=True)
class LLMSettings:
    """Where to ask and how much to spend. No key here: this is saved beside results and shown."""

    base_url: str
    model: str
    max_rows: int = 100  # rows sent at most
    max_tokens: int = 100_000  # tokens (prompt + answer, from each response's ``usage``) before it stops
    requests_per_minute: float = 60.0
    threads: int = 1
    timeout_s: float = 30.0  # per request
    retries: int = 3  # after the first try, on 429, 5xx, timeouts and lost connections
    examples_per_class: int = 2
    price_in: float = 0.0  # per million prompt tokens (0 for a local server)
    price_out: float = 0.0  # per million answer tokens

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(t("llm.err.url", url=self.base_url))
        if parts.username or parts.password or parts.query:
            raise ConfigError(t("llm.err.url_secret"))  # a key in the URL would be saved and shown
        if not self.model.strip():
            raise ConfigError(t("llm.err.model"))
        if not 1 <= self.threads <= MAX_THREADS:
            raise ConfigError(t("llm.err.threads", most=MAX_THREADS))
        for name in ("max_rows", "max_tokens", "requests_per_minute", "timeout_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(t("llm.err.positive", name=name))
        if self.retries < 0 or self.examples_per_class < 0 or self.price_in < 0 or self.price_out < 0:
            raise ConfigError(t("llm.err.negative"))

    @property
    def host(self) -> str:
        """Where the rows go: host and port, never a path or query."""
        parts = urlsplit(self.base_url.strip())
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LLMResult:
    """One row's answer: the class code (``None`` unless ``status`` is ``ok``), the raw answer (cut), time
    and tokens. ``error`` is a short reason for a failed row, with the key scrubbed out."""

    row: int
    label: str | None
    status: str
    raw: str = ""
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# -- secrets and who may ---------------------------------------------------------------------------
def llm_secrets(secrets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[llm]`` table of ``secrets`` (default: the secrets files); {} when there is none."""
    table = (load_secrets(secrets_files()) if secrets is None else secrets).get(SECRETS_TABLE)
    return dict(table) if isinstance(table, Mapping) else {}


def llm_defaults(secrets: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The form's defaults from the secrets (base URL and model; never the key) and whether a key is set."""
    table = llm_secrets(secrets)
    return {"base_url": str(table.get("base_url") or ""), "model": str(table.get("model") or ""),
            "has_key": "yes" if table.get("api_key") else ""}


def require_llm(user: User, secrets: Mapping[str, Any] | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may send rows to an LLM: anyone on one person's server, only
    an admin on a team server (the rows leave the machine; an admin answers for where they go). Team mode as
    the environment and the default secrets files say, or as ``secrets`` say: a caller can only add to it."""
    team = team_mode(load_secrets(secrets_files())) or (secrets is not None and team_mode(secrets))
    if team and not user.is_admin:
        raise PermissionDenied(t("llm.err.admin_only"))


def scrub(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (nor its first 8 characters: some servers quote a key's start)."""
    if secret:
        text = text.replace(secret, "***")
        if len(secret) >= 12:
            text = text.replace(secret[:8], "***")
    return text


# -- pacing ----------------------------------------------------------------------------------------
class RateLimiter:
    """Requests start at least ``60 / per_minute`` seconds apart, across all threads."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.interval = 60.0 / per_minute
        self._clock, self._sleep, self._lock = clock, sleep, threading.Lock()
        self._next = -math.inf

    def wait(self) -> None:
        with self._lock:  # take a slot, then wait outside the lock for it
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


def retry_after(headers: Any) -> float | None:
    """Seconds a 429 or 503 asks to wait: ``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date."""
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter (0.5 s, 1 s, 2 s... at most ``cap``), so threads do not retry in step."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2 ** attempt)


# -- asking ----------------------------------------------------------------------------------------
@dataclass
class LLMLabeler:
    """Labels rows through one endpoint within the settings' budget. ``progress(done, total)`` is called from
    worker threads; ``stop`` ends the run early (rows not started are ``skipped``; a wait is cut short).
    ``sleep`` waits between tries (default: on ``stop``); the rate limit always waits on ``stop``."""

    settings: LLMSettings
    classes: Sequence[ClassName]
    examples: Sequence[Example] = ()
    sleep: Callable[[float], Any] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[int, int], Any] | None = None
    secrets: Mapping[str, Any] | None = field(default=None, repr=False)  # holds the key: never shown

    def __post_init__(self) -> None:
        self._key = str(llm_secrets(self.secrets).get("api_key") or "")
        self.sleep = self.stop.wait if self.sleep is None else self.sleep
        self._limiter = RateLimiter(self.settings.requests_per_minute, sleep=self.stop.wait)
        self._lock = threading.Lock()
        self._spent = 0
        self._done = 0
        self._client = self._make_client()

    def _make_client(self) -> Any:
        from openai import OpenAI

        # max_retries=0: the retries are ours (Retry-After honoured, the budget and stop checked between tries)
        return OpenAI(base_url=self.settings.base_url.strip(), api_key=self._key or NO_KEY,
                      timeout=self.settings.timeout_s, max_retries=0)

    @property
    def tokens_spent(self) -> int:
        return self._spent

    def scrubbed(self, text: str) -> str:
        """``text`` without this labeler's key."""
        return scrub(text, self._key)

    def label_rows(self, rows: Sequence[int], texts: Sequence[str]) -> list[LLMResult]:
        """One result per row of ``rows`` (the first ``max_rows``; the rest ``skipped``), in ``rows``' order."""
        todo = list(rows)[: self.settings.max_rows]
        rest = [LLMResult(r, None, SKIPPED) for r in list(rows)[self.settings.max_rows:]]
        try:
            with ThreadPoolExecutor(max_workers=self.settings.threads, thread_name_prefix="tuneboard-llm") as pool:
                done = list(pool.map(lambda r: self._one(r, str(texts[r]), len(todo)), todo))
        finally:
            self._client.close()  # its connection pool: a long-lived server makes many labelers
        return done + rest

    def _over_budget(self) -> bool:
        return self.stop.is_set() or self._spent >= self.settings.max_tokens

    def _one(self, row: int, text: str, total: int) -> LLMResult:
        if self._over_budget():
            return LLMResult(row, None, SKIPPED)
        result = self._ask(row, messages(text, self.classes, self.examples))
        with self._lock:
            self._spent += result.tokens
            self._done += 1
            done = self._done
        if self.progress is not None:
            self.progress(done, total)
        return result

    def _ask(self, row: int, chat: list[dict[str, str]]) -> LLMResult:
        import openai

        error = ""
        for attempt in range(self.settings.retries + 1):
            self._limiter.wait()
            if self.stop.is_set():  # stopped while waiting: a row never sent is skipped, a retried one failed
                if not attempt:
                    return LLMResult(row, None, SKIPPED)
                break
            started = time.perf_counter()
            wait: float | None = None
            try:
                response = self._client.chat.completions.create(model=self.settings.model.strip(), messages=chat,
                                                                temperature=0, max_tokens=ANSWER_TOKENS)
            except openai.APITimeoutError:
                error = "timeout"
            except openai.APIConnectionError:
                error = "connection"
            except openai.APIStatusError as e:  # 429 (RateLimitError) is one of these
                error, wait = str(e.status_code), retry_after(e.response.headers)
                if e.status_code not in (408, 409, 429) and e.status_code < 500:
                    break  # a bad request or a wrong key: trying again won't help
                if wait is not None and wait > MAX_RETRY_WAIT_S:
                    break  # a quota, not a pause
            else:
                return self._result(row, response, time.perf_counter() - started)
            if attempt < self.settings.retries:
                self.sleep(wait if wait is not None else backoff(attempt))
        log.info("LLM row %d failed: %s", row, error)
        return LLMResult(row, None, FAILED, error=scrub(error, self._key))

    def _result(self, row: int, response: Any, latency: float) -> LLMResult:
        try:
            answer = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            answer = None
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        label = parse_answer(answer, self.classes)
        return LLMResult(row, label, OK if label is not None else UNPARSED, scrub(shorten(answer), self._key),
                         latency, prompt, completion)

