"""A fake OpenAI-compatible chat server on loopback, for the LLM pre-label tests (unit and browser).

It answers ``POST /v1/chat/completions`` from the last user message, so one table exercises every path:

    text contains      answer
    "[malformed]"      "I think it is positive, probably"  (unparsed)
    "[nonclass]"       "neutral"                            (a name of no class: unparsed)
    "[slow]"           waits until released (``release()``) or 10 s: the client's timeout fires first
    "[429]"            429 with ``Retry-After: <retry_after>`` the first time, then a good answer
    "[500]"            500 the first time, then a good answer
    "[always500]"      500 every time
    "[echo-key]"       401 whose message quotes the Authorization header (as some servers do)
    otherwise          the class by keyword: "good"/"great"/"love" -> positive, else negative;
                       as a bare name, or as {"label": ...} when the text contains "[json]"

Every request is recorded (time, headers, body) in ``requests``; usage is 10 prompt + 2 answer tokens.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

POSITIVE = ("good", "great", "love")


class FakeLLM:
    def __init__(self, retry_after: str = "1", prompt_tokens: int = 10, completion_tokens: int = 2) -> None:
        self.retry_after, self.usage = retry_after, (prompt_tokens, completion_tokens)
        self.requests: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:  # noqa: N802 -- the http.server name
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                fake.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "FakeLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def release(self) -> None:
        self._release.set()

    def answers(self) -> int:
        return sum(r["status"] == 200 for r in self.requests)

    def handle(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        text = str(body.get("messages", [{}])[-1].get("content", ""))
        with self.lock:
            count = self.seen[text] = self.seen.get(text, 0) + 1
        record = {"time": time.monotonic(), "headers": dict(h.headers), "body": body, "text": text}
        if "[slow]" in text:
            self._release.wait(10)
        if "[429]" in text and count == 1:
            return self._send(h, 429, {"error": {"message": "slow down"}}, record, {"Retry-After": self.retry_after})
        if ("[500]" in text and count == 1) or "[always500]" in text:
            return self._send(h, 500, {"error": {"message": "boom"}}, record)
        if "[echo-key]" in text:
            key = h.headers.get("Authorization", "")
            return self._send(h, 401, {"error": {"message": f"Incorrect API key provided: {key}"}}, record)
        if "[malformed]" in text:
            answer = "I think it is positive, probably"
        elif "[nonclass]" in text:
            answer = "neutral"
        else:
            answer = "positive" if any(w in text.lower() for w in POSITIVE) else "negative"
            if "[json]" in text:
                answer = json.dumps({"label": answer})
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", ""),
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": answer}}],
                 "usage": {"prompt_tokens": self.usage[0], "completion_tokens": self.usage[1],
                           "total_tokens": sum(self.usage)}}
        self._send(h, 200, reply, record)

    def _send(self, h: BaseHTTPRequestHandler, status: int, data: dict[str, Any], record: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        record["status"] = status
        with self.lock:
            self.requests.append(record)
        payload = json.dumps(data).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(payload)
        except OSError:  # the client gave up (its timeout): nothing to answer
            pass
