"""What keeps ``serve`` answering under slow, many or large clients: its limits, and where they are enforced.

- **Connections** (``max_connections``, and never closer than ``FD_RESERVE`` to the process's file limit): a
  connection over the cap gets a 503 with ``Retry-After`` at once and is closed, so sockets cannot use up the
  file descriptors the server needs for its model and its log ("Too many open files" stopped every client).
- **Slow clients** (``timeout_s``): a request's headers must arrive within ``timeout_s`` of the connection
  opening, and its body within ``timeout_s`` of its headers; an idle keep-alive connection closes after
  ``keep_alive_s`` (uvicorn's ``timeout_keep_alive``). Headers over 16 KB get a 400 (h11's limit).
- **In flight** (``max_in_flight`` requests, ``max_in_flight_bytes`` of declared bodies): a request with a body
  past either gets a fast 503 with ``Retry-After`` before its body is read, so memory and the wait of the
  requests already queued stay bounded; a body over ``max_body_bytes`` gets a 413.

uvicorn's own ``limit_concurrency`` is not used: it still accepts every socket (holding its descriptor until
the client sends a request) and counts idle keep-alive connections against requests.
"""
from __future__ import annotations

import asyncio
import json
import resource
from dataclasses import dataclass
from typing import Any

from tuneboard.errors import ConfigError
from tuneboard.i18n import english, t

FD_RESERVE = 256  # descriptors kept for the model files, SQLite (3 per database), threads, and one accept batch
# asyncio accepts up to ``backlog`` sockets in one batch before any of them reaches ``connection_made`` (where the
# cap closes them): with uvicorn's 2048 a flood briefly held 1,014 of 1,024 descriptors (measured), with 128 the
# burst stays within FD_RESERVE.
ACCEPT_BATCH = 128


@dataclass(frozen=True)
class ServeLimits:
    """The API's limits (``serve`` flags); see the module docstring for what each one guards."""

    max_connections: int = 512
    timeout_s: float = 10.0
    keep_alive_s: float = 5.0
    max_in_flight: int = 32
    max_in_flight_bytes: int = 16_000_000
    max_body_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("max_connections", "timeout_s", "keep_alive_s", "max_in_flight", "max_in_flight_bytes",
                     "max_body_bytes"):
            if not getattr(self, name) > 0:
                raise ConfigError(t("serving.limit_positive", name=name, value=getattr(self, name)))

    def connection_cap(self) -> int:
        """``max_connections``, lowered to stay ``FD_RESERVE`` below the soft file limit."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - FD_RESERVE))


# A client program reads the API's error bodies: each has a stable ``code`` beside its English ``error`` line
# (English whatever the server's language: a program, not a person, is the first reader).
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               408: "timeout", 413: "too_large", 422: "invalid_input", 429: "too_many_requests", 500: "server_error",
               503: "busy"}


def error_body(status: int, message: str, code: str | None = None) -> dict[str, str]:
    """An error answer's JSON: ``{"error": "one English line", "code": "stable_name"}``."""
    return {"error": message, "code": code or ERROR_CODES.get(status, "error")}


def _raw_busy() -> bytes:
    body = json.dumps(error_body(503, english("serving.busy_connections"))).encode()
    return (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
            b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def guarded_protocol(limits: ServeLimits) -> type:
    """uvicorn's h11 protocol with a connection cap and a deadline for the request head.

    Hand-written because uvicorn arms its timer only after a response (a socket that never sends, or sends
    half a header, is held forever) and cancels it on any byte received."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    cap, busy = limits.connection_cap(), _raw_busy()

    class GuardedH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > cap:
                transport.write(busy)
                transport.close()
                return
            # The same handler uvicorn uses for idle keep-alive: it closes the socket.
            self.timeout_keep_alive_task = self.loop.call_later(limits.timeout_s, self.timeout_keep_alive_handler)

        def data_received(self, data: bytes) -> None:
            # Unlike uvicorn, keep the deadline running: handle_events cancels it once a whole head arrived.
            self.conn.receive_data(data)
            self.handle_events()

    return GuardedH11Protocol


@dataclass
class Pressure:
    """What the guard holds now and has refused, for ``/health``."""

    in_flight: int = 0
    bytes_in_flight: int = 0
    refused: int = 0  # 503s for the in-flight limits

    def stats(self) -> dict[str, int]:
        return {"in_flight": self.in_flight, "bytes_in_flight": self.bytes_in_flight, "refused_busy": self.refused}


class RequestGuard:
    """ASGI middleware: a body over ``max_body_bytes`` gets a 413, a request with a body past the in-flight
    limits a 503 with ``Retry-After``, and a body not sent in full within ``timeout_s`` a 408."""

    def __init__(self, app: Any, limits: ServeLimits, pressure: Pressure) -> None:
        self.app, self.limits, self.now = app, limits, pressure

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.limits.max_body_bytes
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and not length.isdigit():
            return await send_json(send, 400, english("serving.bad_length"))
        if length is not None and int(length) > limit:
            return await send_json(send, 413, too_large(limit))
        size = int(length) if length is not None else limit  # chunked: count the worst case
        now = self.now
        if now.in_flight >= self.limits.max_in_flight or now.bytes_in_flight + size > self.limits.max_in_flight_bytes:
            now.refused += 1
            return await send_json(send, 503, english("serving.busy"), retry_after=1)
        now.in_flight += 1
        now.bytes_in_flight += size
        try:
            await self._guarded(scope, receive, send, limit)
        finally:
            now.in_flight -= 1
            now.bytes_in_flight -= size

    async def _guarded(self, scope: dict, receive: Any, send: Any, limit: int) -> None:
        # An HTTPException raised while FastAPI reads the body is answered by the app (any other error there
        # becomes its generic 400); "Connection: close" makes uvicorn drop the rest of a slow body.
        from fastapi import HTTPException

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.timeout_s
        seen, body_done = 0, False

        async def limited() -> dict:
            nonlocal seen, body_done
            if body_done:  # after the body only a disconnect can come: no deadline on waiting for it
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.001))
            except asyncio.TimeoutError:
                raise HTTPException(408, english("serving.slow_body", seconds=self.limits.timeout_s),
                                    headers={"Connection": "close"}) from None
            seen += len(message.get("body", b""))
            body_done = not message.get("more_body", False)
            if seen > limit:
                raise HTTPException(413, too_large(limit), headers={"Connection": "close"})
            return message

        await self.app(scope, limited, send)


def too_large(limit: int) -> str:
    return english("serving.too_large", limit=f"{limit:,}")


async def send_json(send: Any, status: int, message: str, retry_after: int | None = None,
                    close: bool = False) -> None:
    """A one-line ``{"error": ...}`` answer straight from ASGI (before the app has read anything)."""
    body = json.dumps(error_body(status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(b"retry-after", str(retry_after).encode())] if retry_after is not None else []
    headers += [(b"connection", b"close")] if close else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
