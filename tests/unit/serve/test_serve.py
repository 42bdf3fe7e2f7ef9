"""The prediction API: the Hugging Face format per task, batching, ONNX/int8 parity, API keys, bad input."""
from __future__ import annotations

import asyncio
import csv
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import run_async, sentiment_rows
from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.predict.inference import Predictor
from tuneboard.serve.api import add_api_key, check_exposure, create_app, hash_key, load_backend, load_key_hashes
from tuneboard.serve.microbatch import MicroBatcher
from tuneboard.serve.onnx import OnnxPredictor, ensure_onnx, read_parity
from tuneboard.train.pipeline import execute

TEXTS = ["great love happy", "awful terrible broken refund", "the parcel was late and slow", "hello"]


@pytest.fixture(scope="module")
def runs(tiny_model: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One trained run per task, made once for the module."""
    folder = tmp_path_factory.mktemp("serve-runs")
    sentiment = folder / "sentiment.csv"
    with open(sentiment, "w", newline="") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows(120)])
    multi = folder / "multi.csv"
    rows = [("great love", "good|happy", "4.5", "great love", "yes"), ("awful hate", "bad", "1.2", "x", "no"),
            ("love fast", "good", "4.0", "love", "yes"), ("happy", "happy", "3.5", "slow", "no")] * 10
    with open(multi, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "tags", "score", "other", "match"])
        for i, r in enumerate(rows):
            w.writerow([f"{r[0]} {i % 7}", r[1], str(float(r[2]) + (i % 9) / 10), r[3], r[4]])

    def train(data: Path, **kw: object) -> Path:
        cfg = TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                          freeze_embeddings=False, output_dir=str(folder / "runs"), **kw)
        return execute(cfg).run.path

    return {"single": train(sentiment), "multi": train(multi, text_column="text", label_column="tags"),
            "regression": train(multi, text_column="text", label_column="score"),
            "pairs": train(multi, text_column="text", text_pair_column="other", label_column="match"),
            "tfidf": execute(TrainConfig(data=str(sentiment), model="tfidf", output_dir=str(folder / "runs"))).run.path}


def client(run: Path, **kw: object) -> TestClient:
    kw.setdefault("monitor", False)
    return TestClient(create_app(run, **kw))


def test_single_label_answers_in_the_hugging_face_format_with_the_predict_labels(runs):
    expected = Predictor.load(runs["single"], device="cpu").predict(TEXTS)
    with client(runs["single"]) as c:
        one = c.post("/predict", json={"inputs": TEXTS[0]})
        many = c.post("/predict", json={"inputs": TEXTS})
        top = c.post("/predict", json={"inputs": TEXTS, "parameters": {"top_k": 1}})
        info, health = c.get("/info").json(), c.get("/health").json()
    assert one.status_code == 200 and len(one.json()) == 1 and len(one.json()[0]) == 2
    assert one.json()[0][0]["label"] == expected[0]["label"]
    assert [r[0]["label"] for r in many.json()] == [e["label"] for e in expected]
    for answer, e in zip(many.json(), expected, strict=True):
        assert {a["label"]: a["score"] for a in answer} == pytest.approx(e["scores"], abs=1e-5)
    assert [len(r) for r in top.json()] == [1] * len(TEXTS)
    assert info["labels"] == ["negative", "positive"] and info["task"] == "single_label"
    assert "accuracy" in info["validation"]
    assert health["status"] == "ok" and health["rows"] == 1 + 2 * len(TEXTS)


def test_multi_label_gives_every_label_a_score_and_a_selected_flag(runs):
    expected = Predictor.load(runs["multi"], device="cpu").predict(TEXTS[:2])
    with client(runs["multi"]) as c:
        body = c.post("/predict", json={"inputs": TEXTS[:2]}).json()
        threshold = c.get("/info").json()["threshold"]
    for answer, e in zip(body, expected, strict=True):
        assert {a["label"] for a in answer} == set(e["scores"])
        assert [a["score"] for a in answer] == sorted((a["score"] for a in answer), reverse=True)
        assert sorted(a["label"] for a in answer if a["selected"]) == sorted(e["label"])
        assert all(a["selected"] == (a["score"] >= threshold) for a in answer)


def test_regression_answers_one_number_per_input(runs):
    expected = Predictor.load(runs["regression"], device="cpu").predict(TEXTS[:2])
    with client(runs["regression"]) as c:
        one = c.post("/predict", json={"inputs": TEXTS[0]}).json()
        two = c.post("/predict", json={"inputs": TEXTS[:2]}).json()
    assert one == pytest.approx([expected[0]["label"]], abs=1e-4)
    assert two == pytest.approx([e["label"] for e in expected], abs=1e-4)


def test_text_pairs_take_text_and_text_pair_and_refuse_a_plain_string(runs):
    expected = Predictor.load(runs["pairs"], device="cpu").predict(["great love"], ["love"])
    with client(runs["pairs"]) as c:
        one = c.post("/predict", json={"inputs": {"text": "great love", "text_pair": "love"}})
        many = c.post("/predict", json={"inputs": [{"text": "great love", "text_pair": "love"}] * 2})
        plain = c.post("/predict", json={"inputs": "great love"})
    assert one.json()[0][0]["label"] == expected[0]["label"] and len(many.json()) == 2
    assert plain.status_code == 422 and "text pairs" in plain.json()["error"]


def test_concurrent_requests_share_forward_passes_and_get_the_same_scores_as_alone(runs):
    predictor = Predictor.load(runs["single"], device="cpu")
    alone = [predictor.scores([t]) for t in TEXTS * 4]
    calls: list[int] = []

    def scores(texts: list[str], pairs: list[str] | None) -> np.ndarray:
        calls.append(len(texts))
        return predictor.scores(texts, pairs)

    async def burst() -> list[np.ndarray]:
        batcher = MicroBatcher(scores, max_wait_ms=50)
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.scores([t]) for t in TEXTS * 4))
        finally:
            await batcher.stop()

    together = run_async(burst())
    assert sum(calls) == 16 and len(calls) < 16  # shared passes
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_failing_request_in_a_batch_does_not_fail_the_others():
    def scores(texts: list[str], pairs: list[str] | None) -> np.ndarray:
        if "boom" in texts:
            raise ValueError("bad row")
        return np.array([[len(t)] for t in texts], float)

    async def burst() -> list[object]:
        batcher = MicroBatcher(scores, max_wait_ms=50)
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.scores([t]) for t in ["a", "boom", "abc"]), return_exceptions=True)
        finally:
            await batcher.stop()

    a, boom, abc = run_async(burst())
    assert a.tolist() == [[1.0]] and abc.tolist() == [[3.0]] and isinstance(boom, RuntimeError)


def test_onnx_and_int8_exports_agree_with_pytorch_and_store_their_parity(runs):
    torch_scores = Predictor.load(runs["single"], device="cpu").scores(TEXTS)
    fp32, int8 = ensure_onnx(runs["single"], "onnx"), ensure_onnx(runs["single"], "onnx-int8")
    np.testing.assert_allclose(OnnxPredictor.load(fp32).scores(TEXTS), torch_scores, atol=1e-4)
    np.testing.assert_allclose(OnnxPredictor.load(int8).scores(TEXTS), torch_scores, atol=0.05)
    p32, p8 = read_parity(fp32), read_parity(int8)
    assert p32["rows"] > 0 and p32["label_agreement"] == 1.0 and p32["accuracy"] == p32["torch_accuracy"]
    assert p8["label_agreement"] >= 0.9 and abs(p8["accuracy"] - p8["torch_accuracy"]) <= 0.1
    with client(runs["single"], backend="onnx-int8", predictor=load_backend(runs["single"], "onnx-int8")) as c:
        assert c.get("/info").json()["parity"]["rows"] == p8["rows"]
        assert c.post("/predict", json={"inputs": "great"}).status_code == 200


def test_export_format_onnx_writes_a_zip_and_tfidf_refuses_onnx_with_a_message(runs, tmp_path, capsys):
    assert main(["export", str(runs["single"]), "--format", "onnx", "--output", str(tmp_path / "m.zip")]) == 0
    names = set(zipfile.ZipFile(tmp_path / "m.zip").namelist())
    assert {"model.onnx", "parity.json", "config.json", "tokenizer.json", "README.md"} <= names
    assert main(["export", str(runs["tfidf"]), "--format", "onnx-int8"]) == 2
    assert "TF-IDF" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="TF-IDF"):
        load_backend(runs["tfidf"], "onnx")
    with client(runs["tfidf"]) as c:  # served by its own predictor
        assert c.post("/predict", json={"inputs": TEXTS}).status_code == 200


def test_api_keys_guard_predict_and_info_but_not_health(runs, tmp_path):
    keys = tmp_path / "keys.txt"
    key = add_api_key(keys, "ci")
    assert key not in keys.read_text() and "sha256:" in keys.read_text()
    with client(runs["tfidf"], api_keys=keys) as c:
        assert c.post("/predict", json={"inputs": "x"}).status_code == 401
        assert c.post("/predict", json={"inputs": "x"}, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/info").status_code == 401 and c.get("/health").json() == {"status": "ok"}
        ok = c.post("/predict", json={"inputs": "x"}, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200 and "error" in c.get("/info").json()


BAD = [b"{", b"[]", b"null", b'"text"', b"{}", b'{"inputs": null}', b'{"inputs": 5}', b'{"inputs": []}',
       b'{"inputs": [1, 2]}', b'{"inputs": ["a", null]}', b'{"inputs": {"text": "a"}}', b'{"inputs": "a", "x": 1}',
       b'{"inputs": "a", "parameters": {"top_k": 0}}', b'{"inputs": "a", "parameters": {"top_k": "3"}}',
       b'{"inputs": "a", "parameters": {"function_to_apply": "none"}}', b'{"inputs": "a", "parameters": []}',
       json.dumps({"inputs": ["a"] * 257}).encode(), json.dumps({"inputs": "a" * 20_001}).encode(),
       b'{"inputs": {"text": "a", "text_pair": "b"}}', b"\xff\xfe garbage"]


def test_two_hundred_bad_requests_each_get_a_4xx_with_a_message_and_the_server_keeps_answering(runs):
    with client(runs["single"]) as c:
        for i in range(200):
            body = BAD[i % len(BAD)]
            r = c.post("/predict", content=body, headers={"content-type": "application/json"})
            assert 400 <= r.status_code < 500, (body[:60], r.status_code)
            assert isinstance(r.json()["error"], str) and r.json()["error"], body[:60]
        huge = c.post("/predict", content=b'{"inputs": "' + b"a" * 10_000_000 + b'"}',
                      headers={"content-type": "application/json"})
        assert huge.status_code == 413 and "bytes" in huge.json()["error"]
        chunked = c.post("/predict", content=(b"a" * 100_000 for _ in range(20)),  # no Content-Length
                         headers={"content-type": "application/json"})
        assert chunked.status_code == 413 and "bytes" in chunked.json()["error"]
        assert c.post("/predict", json={"inputs": "great"}).status_code == 200
        assert c.get("/health").json()["status"] == "ok"


def test_a_key_name_with_a_line_break_is_refused_and_the_key_file_stays_as_it_was(tmp_path, capsys):
    keys = tmp_path / "keys.txt"
    add_api_key(keys, "ci")
    before = keys.read_text()
    forged = "x\n" + hash_key("tb_attacker") + " evil"
    with pytest.raises(ConfigError, match="one line"):
        add_api_key(keys, forged)
    assert main(["api-key", str(keys), "--name", "a\rb"]) == 2
    err = capsys.readouterr().err
    assert "one line" in err and len(err.strip().splitlines()) == 1
    assert keys.read_text() == before and hash_key("tb_attacker") not in load_key_hashes(keys)


def test_the_key_file_reader_ignores_malformed_lines_and_trusts_only_whole_ones(tmp_path):
    good, other = hash_key("tb_good"), hash_key("tb_other")
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# comment\n{good} ci\ngarbage line\nsha256:zz\n{other}trailing\n{other.upper()}\n\n")
    assert load_key_hashes(keys) == {good}
    keys.write_text("garbage\n")
    with pytest.raises(ConfigError, match="no valid key"):
        load_key_hashes(keys)


def test_a_network_host_needs_api_keys_or_an_explicit_opt_out_that_prints_a_warning(runs, tmp_path, monkeypatch,
                                                                                    capsys):
    import uvicorn

    started: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))  # nothing binds in this test
    assert main(["serve", str(runs["tfidf"]), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--api-keys" in err and "--allow-no-key" in err and len(err.strip().splitlines()) == 1 and not started
    assert main(["serve", str(runs["tfidf"]), "--host", "0.0.0.0", "--allow-no-key"]) == 0
    assert started[0]["host"] == "0.0.0.0" and "without API keys" in capsys.readouterr().err
    assert check_exposure("127.0.0.1", None) is None and check_exposure("::1", None) is None
    assert check_exposure("localhost", None) is None and check_exposure("10.0.0.5", tmp_path / "keys") is None
    with pytest.raises(ConfigError):
        check_exposure("example.org", None)


def test_every_error_body_has_a_stable_code_and_stays_english_whatever_the_servers_language(runs):
    from tuneboard.i18n import set_language

    set_language("zh")  # `serve` run with LANG=zh_CN: its messages to the person are Chinese, not the API's
    try:
        with client(runs["single"]) as c:
            answers = [c.post("/predict", content=body, headers={"content-type": "application/json"}).json()
                       for body in BAD]
            pair = c.post("/predict", json={"inputs": {"text": "a", "text_pair": "b"}}).json()
            broken = c.post("/predict", content=b"{", headers={"content-type": "application/json"}).json()
            extra = c.post("/predict", json={"inputs": "a", "x": 1}).json()
    finally:
        set_language("en")
    assert all(a["code"] and a["error"].isascii() for a in answers), answers
    assert pair["code"] == "wrong_input_kind" and pair["error"].startswith("This model reads single texts")
    assert broken["code"] == "invalid_json" and broken["error"].startswith('The body is not valid JSON. Send {"inputs"')
    assert extra["code"] == "unknown_field" and extra["error"].startswith("Unknown field 'x'.")
