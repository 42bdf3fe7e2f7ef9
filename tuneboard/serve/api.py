"""``python -m tuneboard serve RUN``: a prediction API in the Hugging Face inference format.

``POST /predict`` takes ``{"inputs": ..., "parameters": {"top_k": N}}`` and answers one entry per
input, always a list (so ``huggingface_hub.InferenceClient(model=URL).text_classification(text)``,
which reads the first entry of the answer, works unchanged):

- single-label: ``"inputs": "text"`` -> ``[[{"label": "billing", "score": 0.93}, ...]]`` (the predicted
  label first -- for a two-class run with a saved threshold it may not be the top score -- the rest by score);
  ``"inputs": ["t1", "t2"]`` -> ``[[...], [...]]``;
- text pairs: ``"inputs": {"text": "q", "text_pair": "a"}`` or a list of such objects, same answer;
- multi-label: each entry also has ``"selected"`` (score >= the saved threshold, in ``GET /info``);
- regression: one number per input, ``[3.2]`` or ``[3.2, 1.7]``.

Bad bodies get a 4xx with ``{"error": "one line"}``; nothing a client sends stops the server.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import sys
import time
import unicodedata
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Optional, Union

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from tuneboard.errors import ConfigError
from tuneboard.i18n import english, t
from tuneboard.serve.guard import ACCEPT_BATCH, RequestGuard, ServeLimits, error_body, guarded_protocol

MAX_INPUTS = 256
MAX_CHARS = 20_000
BACKENDS = ("torch", "onnx", "onnx-int8")
VERSION_HEADER = "X-Model-Version"  # on every answer of a model served by name: which version answered, name/N


def load_backend(run_path: str | Path, backend: str = "torch", device: str = "auto") -> Any:
    """A predictor for ``backend``: the PyTorch model, or its ONNX / int8 ONNX export (made when missing).
    A TF-IDF baseline run is served by its own predictor; it has no ONNX form."""
    from tuneboard.predict.baseline import is_baseline_folder
    from tuneboard.predict.inference import Predictor
    from tuneboard.runs.folder import open_run

    if backend not in BACKENDS:
        raise ConfigError(t("engine.err.serve.backend", backend=backend, choices=", ".join(BACKENDS)))
    run = open_run(run_path)
    if backend == "torch" or is_baseline_folder(run.model_dir):
        if backend != "torch":
            raise ConfigError(t("engine.err.serve.baseline_onnx", run_id=run.run_id))
        return Predictor.load(run.path, device=device)
    from tuneboard.serve.onnx import OnnxPredictor, ensure_onnx

    return OnnxPredictor.load(ensure_onnx(run.path, backend))


# -- API keys -------------------------------------------------------------------------------------
def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


KEY_LINE = re.compile(r"(sha256:[0-9a-f]{64})(?:[ \t]+\S.*)?")


def load_key_hashes(path: str | Path) -> set[str]:
    """Hashes from an API-key file: one ``sha256:<hex> [name]`` per line, ``#`` comments. Any other line is
    ignored (never half-trusted); a file with no valid line is an error."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(t("engine.err.serve.keys_unreadable", path=str(path), reason=str(e.strerror or e))) from None
    found = (KEY_LINE.fullmatch(line.strip()) for line in lines if not line.lstrip().startswith("#"))
    hashes = {m.group(1) for m in found if m}
    if not hashes:
        raise ConfigError(t("engine.err.serve.no_keys", path=str(path)))
    return hashes


def add_api_key(path: str | Path, name: str = "") -> str:
    """Make a new key, append its hash (never the key) to ``path``, and return the key, shown once.
    ``name`` must be one line: a line break in it would add a line the key file trusts."""
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ConfigError(t("serving.key_name_control"))
    key = "tb_" + secrets.token_urlsafe(32)
    p = Path(path)
    old = p.read_text(encoding="utf-8") if p.is_file() else "# Tuneboard API keys: sha256 of each key, one per line\n"
    tmp = p.with_name(f".{p.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(old.rstrip("\n") + "\n" + f"{hash_key(key)} {name}".rstrip() + "\n")
    os.replace(tmp, p)
    return key


def check_exposure(host: str, api_keys: str | Path | None, allow_no_key: bool = False) -> str | None:
    """None when ``host`` is loopback or keys are on; a warning line when the operator opted out of keys on a
    network address; a ``ConfigError`` otherwise (an open API there serves the model to anyone who can reach it)."""
    if api_keys or _is_loopback(host):
        return None
    if not allow_no_key:
        raise ConfigError(t("serving.network_needs_keys", host=host))
    return t("serving.network_open_warning", host=host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- request and response shapes --------------------------------------------------------------------
Text = Annotated[StrictStr, Field(max_length=MAX_CHARS)]


class TextPair(BaseModel):
    """A text and its second text (question + answer, premise + hypothesis...)."""

    model_config = ConfigDict(extra="forbid")
    text: Text
    text_pair: Text


class Parameters(BaseModel):
    """``top_k``: how many labels to return per input (default: all)."""

    model_config = ConfigDict(extra="forbid")
    top_k: Optional[Annotated[StrictInt, Field(ge=1, le=10_000)]] = None


class PredictRequest(BaseModel):
    """One text, a text pair, or a list of either (1 to 256)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"inputs": "I was charged twice this month"},
        {"inputs": ["where is my parcel?", "reset my password"], "parameters": {"top_k": 2}}]})
    inputs: Union[Text, TextPair, Annotated[list[Text], Field(min_length=1, max_length=MAX_INPUTS)],
                  Annotated[list[TextPair], Field(min_length=1, max_length=MAX_INPUTS)]]
    parameters: Optional[Parameters] = None


def answer(predictor: Any, results: list[dict[str, Any]], top_k: int | None, version: str | None = None) -> list[Any]:
    """The response body: one entry per input (see the module docstring); served by name, each label entry also
    says the ``version`` that answered (a client reading the Hugging Face format ignores the extra field)."""
    if predictor.task == "regression":
        return [r["label"] for r in results]
    tag = {"version": version} if version else {}
    out = []
    for r in results:
        ranked = sorted(r["scores"].items(), key=lambda kv: -kv[1])
        if predictor.task == "multi_label":
            entries = [{"label": k, "score": v, "selected": v >= predictor.threshold, **tag} for k, v in ranked]
        else:
            ranked.sort(key=lambda kv: kv[0] != r["label"])  # stable: the predicted label first
            entries = [{"label": k, "score": v, **tag} for k, v in ranked]
        out.append(entries[:top_k] if top_k else entries)
    return out


def log_rows(predictor: Any, results: list[dict[str, Any]], pairs: list[str] | None, latency_ms: float,
             backend: str, version: str | None = None) -> list[dict[str, Any]]:
    now = time.time()
    rows = []
    for i, r in enumerate(results):
        row = {"ts": now, "latency_ms": latency_ms, "backend": backend, "text": r["text"],
               "text_pair": pairs[i] if pairs is not None else None, "version": version}
        if predictor.task == "regression":
            row["value"] = r["label"]
        elif predictor.task == "multi_label":
            row["label"] = "|".join(r["label"])
            row["confidence"] = min(abs(v - 0.5) for v in r["scores"].values()) + 0.5
        else:
            row["label"], row["confidence"] = r["label"], r["scores"][r["label"]]
        rows.append(row)
    return rows


# -- the app ------------------------------------------------------------------------------------------
def create_app(run_path: str | Path | None = None, backend: str = "torch", api_keys: str | Path | None = None,
               store_texts: bool = False, monitor: bool = True, max_wait_ms: float = 3.0,
               predictor: Any = None, limits: ServeLimits | None = None, retention: Any = None, *,
               model_name: str | None = None, registry: Any = None, poll_s: float = 1.0) -> Any:
    """The FastAPI app serving ``run_path`` -- or, with ``model_name``, the production version of that name,
    swapped in place when it moves (``named``) -- (see the module docstring for the contract). With
    ``api_keys``, everything but a bare ``{"status": "ok"}`` on ``/health`` needs a key, the API docs included."""
    from tuneboard.serve.guard import Pressure
    from tuneboard.serve.named import record

    limits = limits or ServeLimits()
    keys = load_key_hashes(api_keys) if api_keys else None
    served, folder = _served(run_path, model_name, _loader(backend, max_wait_ms, limits, predictor), registry, poll_s)
    title = model_name or folder.name
    log = _prediction_log(folder, store_texts, retention) if monitor else None
    pressure = Pressure()
    started = time.time()

    app = FastAPI(title=f"Tuneboard: {title}", lifespan=_lifespan(served, log), version="1", docs_url=None,
                  redoc_url=None, openapi_url=None,
                  description="Text classification in the Hugging Face inference format. See POST /predict.")
    app.add_middleware(RequestGuard, limits=limits, pressure=pressure)
    _answer_errors_in_one_line(app)

    def holds_key(request: Request) -> bool:
        return _holds_key(request, keys)

    def authorized(request: Request) -> None:
        if not holds_key(request):
            raise HTTPException(401, english("serving.api.key_needed"), headers={"WWW-Authenticate": "Bearer"})

    @app.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        if not holds_key(request):  # a probe learns that it runs, nothing about the model or its traffic
            return {"status": "ok"}
        slot = served.production
        return {"status": "ok", "run_id": slot.run_path.name, "backend": backend,
                "uptime_s": round(time.time() - started, 1), **served.stats(), **slot.batcher.stats(),
                **pressure.stats(), **(log.stats() if log is not None else {})}

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(authorized)])
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(authorized)])
    async def docs() -> Any:
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    @app.get("/info", dependencies=[Depends(authorized)])
    async def get_info(response: Response) -> dict[str, Any]:
        slot = served.production
        if slot.label:
            response.headers[VERSION_HEADER] = slot.label
        return {**slot.info, **served.stats()}

    @app.post("/predict", dependencies=[Depends(authorized)])
    async def predict(body: PredictRequest, response: Response) -> list[Any]:
        start = time.perf_counter()
        slot, candidate = served.pick()  # taken once: a swap meanwhile does not change who answers this request
        with slot.using():
            texts, pairs = _inputs(body, slot.info["text_pairs"])
            scores = await slot.batcher.scores(texts, pairs)
        results = slot.predictor.label_results(texts, scores)
        top_k = getattr(body.parameters, "top_k", None)  # no parameters: every label
        if slot.label:
            response.headers[VERSION_HEADER] = slot.label
        rows = log_rows(slot.predictor, results, pairs, (time.perf_counter() - start) * 1000, backend, slot.label)
        record(served, candidate, texts, pairs, rows, log.record if log is not None else None)
        return answer(slot.predictor, results, top_k, slot.label)

    return app


def _served(run_path: str | Path | None, model_name: str | None, load: Any, registry: Any, poll_s: float
            ) -> tuple[Any, Path]:
    """What answers (a run, or a name that follows the registry) and the folder its log goes in."""
    from tuneboard.files import private_dir
    from tuneboard.serve.named import FixedModel, FollowedName, served_folder

    if model_name is None:
        fixed = FixedModel(load(run_path))
        return fixed, fixed.production.run_path
    return FollowedName(model_name, load, registry, poll_s), private_dir(served_folder(model_name))


def _loader(backend: str, max_wait_ms: float, limits: ServeLimits, predictor: Any = None) -> Any:
    """``load(run_path, label, version)``: a ready ``Slot`` (model, micro-batcher, ``/info``) for a run folder
    (``predictor``, a model given by a test, serves a run folder only: a name loads each version's)."""
    from tuneboard.runs.folder import open_run
    from tuneboard.serve.microbatch import MicroBatcher
    from tuneboard.serve.named import Slot

    def load(run_path: str | Path, label: str | None = None, version: int | None = None) -> Slot:
        run = open_run(run_path)
        model = predictor if predictor is not None and label is None else load_backend(run.path, backend)
        info = _info(run, model, backend, max_wait_ms, limits)
        if label:
            info["version"] = label
        return Slot(run.path, model, MicroBatcher(model.scores, max_wait_ms=max_wait_ms), info, label, version)

    return load


def _lifespan(served: Any, log: Any) -> Any:
    """The API's start and stop: the micro-batcher (and, served by name, the registry's follower) runs while it
    serves; the log is closed after it."""

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        await served.start()
        yield
        await served.stop()
        if log is not None:
            log.close()

    return lifespan


def _prediction_log(run_path: Path, store_texts: bool, retention: Any) -> Any:
    """Where every answer is logged for Monitor (texts only when asked; old rows dropped by ``retention``)."""
    from tuneboard.serve.monitor import PredictionLog, Retention, log_path

    return PredictionLog(log_path(run_path), store_texts=store_texts, retention=retention or Retention(),
                         on_drop=report_dropped_rows)


def _answer_errors_in_one_line(app: Any) -> None:
    """Every error the API can give is one JSON line, ``{"error": ...}``: never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = {**error_body(422, *_first_error(exc.errors(), exc.body)), "details": _details(exc.errors())}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = exc.code if isinstance(exc, Refused) else None
        return JSONResponse(error_body(exc.status_code, str(exc.detail), code), status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(500, english("serving.api.failed", kind=type(exc).__name__)), status_code=500)


PAIR = '{"text": ..., "text_pair": ...}'  # what a text pair looks like in a request


class Refused(HTTPException):
    """An HTTP error with its own ``code`` in the body (others get their status's code)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code


def _holds_key(request: Any, keys: set[str] | None) -> bool:
    """Whether the request carries one of the API keys (always, when the API has none)."""
    if keys is None:
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    digest = hash_key(token.strip())
    return scheme.lower() == "bearer" and any(hmac.compare_digest(digest, k) for k in keys)


def _inputs(body: Any, text_pairs: bool) -> tuple[list[str], list[str] | None]:
    """The texts (and second texts) of a request, which must be of the kind the model reads."""
    items = body.inputs if isinstance(body.inputs, list) else [body.inputs]
    is_pair = isinstance(items[0], TextPair)
    if is_pair != text_pairs:
        raise Refused(422, "wrong_input_kind", english("serving.api.wants_pairs", pair=PAIR) if text_pairs
                      else english("serving.api.wants_single"))
    return ([i.text for i in items] if is_pair else list(items)), ([i.text_pair for i in items] if is_pair else None)


def report_dropped_rows(rows: int, total: int) -> None:
    """The server log's line when monitor rows could not be written (a full disk, a locked file)."""
    print(t("serving.rows_dropped", rows=rows, total=total), file=sys.stderr, flush=True)


def _info(run: Any, predictor: Any, backend: str, max_wait_ms: float, limits: ServeLimits) -> dict[str, Any]:
    from tuneboard.classnames import described
    from tuneboard.serve.export import SHOWN_METRICS

    cfg = run.config()
    metrics = run.metrics() or {}
    info = {"run_id": run.run_id, "task": predictor.task, "labels": predictor.labels, "model": cfg.model_label,
            "backend": backend, "threshold": predictor.threshold, "text_pairs": bool(cfg.text_pair_column),
            "validation": {k: metrics[k] for k in SHOWN_METRICS if isinstance(metrics.get(k), (int, float))},
            "limits": {"max_inputs": MAX_INPUTS, "max_chars": MAX_CHARS, "max_body_bytes": limits.max_body_bytes,
                       "max_in_flight": limits.max_in_flight},
            "batching": {"max_wait_ms": max_wait_ms, "max_rows": 64},
            "descriptions": {n: d for n, d in described(cfg.classes).items() if n in predictor.labels}}
    folder = getattr(predictor, "folder", None)
    if folder is not None:
        from tuneboard.serve.onnx import read_parity

        info["parity"] = read_parity(folder)
    return info


def _first_error(errors: list[dict[str, Any]], body: Any) -> tuple[str, str]:
    """One line for the most telling error, and its code: for ``inputs``, the branch matching what was sent."""
    if not errors:
        return english("serving.api.invalid_body"), "invalid_input"
    sent = body.get("inputs") if isinstance(body, dict) else None
    branch = "list[" if isinstance(sent, list) else ("TextPair" if isinstance(sent, dict) else "constrained-str")
    matching = [e for e in errors if len(e.get("loc", ())) > 2 and str(e["loc"][2]).startswith(branch)]
    e = (matching or errors)[0]
    if e.get("type") == "json_invalid":
        return english("serving.api.invalid_json", example='{"inputs": "your text"}'), "invalid_json"
    loc = [str(p) for p in e.get("loc", ()) if p != "body"]
    where = ".".join(p for p in loc if not p.startswith(("constrained-str", "list[", "TextPair")))
    if e.get("type") == "extra_forbidden":
        return english("serving.api.unknown_field", field=where), "unknown_field"
    hint = (english("serving.api.inputs_hint", example='{"inputs": "text"}', pair=PAIR)
            if where.startswith("inputs") or where == "" else "")
    return f"{where or 'body'}: {e.get('msg', 'invalid')}.{hint}", "invalid_input"  # pydantic's words, as it says them


def _details(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"loc": ".".join(map(str, e.get("loc", ()))), "msg": str(e.get("msg", ""))} for e in errors[:5]]


def serve(run_path: str | Path | None, host: str = "127.0.0.1", port: int = 8000, backend: str = "torch",
          api_keys: str | Path | None = None, store_texts: bool = False, allow_no_key: bool = False,
          limits: ServeLimits | None = None, retention: Any = None, model_name: str | None = None) -> None:
    """Run the API with uvicorn until interrupted: the run at ``run_path``, or the production version of
    ``model_name``. A network ``host`` needs ``api_keys`` (or ``allow_no_key``)."""
    import uvicorn

    warning = check_exposure(host, api_keys, allow_no_key)
    limits = limits or ServeLimits()
    app = create_app(run_path, backend, api_keys=api_keys, store_texts=store_texts, limits=limits, retention=retention,
                     model_name=model_name)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(t("serving.started", run=model_name or Path(str(run_path)).name, backend=backend, host=host, port=port),
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, http=guarded_protocol(limits),
                timeout_keep_alive=limits.keep_alive_s, backlog=ACCEPT_BATCH)
