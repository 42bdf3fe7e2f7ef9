"""LLM pre-labels against a fake OpenAI-compatible server on loopback: strict parsing, retries (429 with
Retry-After, 500s, timeouts), the budget, the rate limit, the key kept out of files, logs and errors,
admin-only in team mode, and agreement figures checked by hand."""
from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import pytest

from tests.fake_llm import FakeLLM
from tuneboard.classnames import ClassName
from tuneboard.errors import ConfigError, PermissionDenied
from tuneboard.labeling import LLMResult, LLMSettings, agreement, apply_llm_labels, start_llm_labels, summarize
from tuneboard.labeling.llm import FAILED, OK, SKIPPED, UNPARSED, LLMLabeler, RateLimiter, retry_after
from tuneboard.labeling.llmprompt import Example, messages, parse_answer, pick_examples
from tuneboard.team import LOCAL, User

CLASSES = (ClassName("pos", "positive", "the customer is happy"), ClassName("neg", "negative"))
KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture
def secrets(tmp_path, monkeypatch):
    """A secrets file with an [llm] key, where the engine looks (the working folder's .streamlit/)."""
    home = tmp_path / "home"
    (tmp_path / ".streamlit").mkdir()
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUNEBOARD_TEAM", raising=False)
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.write_text(f'[llm]\napi_key = "{KEY}"\n', encoding="utf-8")
    return path


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


class Sleeps(list):
    """Records the waits between tries instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settings(url: str, **kw) -> LLMSettings:
    return LLMSettings(url, "fake-model", **{"requests_per_minute": 60_000, "timeout_s": 5, **kw})


def label(url: str, texts: list[str], sleep=None, **kw) -> list[LLMResult]:
    labeler = LLMLabeler(settings(url, **kw), CLASSES, sleep=Sleeps() if sleep is None else sleep)
    return labeler.label_rows(range(len(texts)), texts)


# -- parsing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, code", [
    ("positive", "pos"), ("  negative\n", "neg"), ('{"label": "positive"}', "pos"), (' {"label":"negative"} ', "neg"),
    ("Positive", None), ("positive.", None), ("I think positive", None), ("neutral", None), ("pos", None),
    ('{"label": "neutral"}', None), ('{"label": "positive", "why": "x"}', None), ('{"label": 1}', None),
    ('["positive"]', None), ("```json\n{\"label\": \"positive\"}\n```", None), ("", None), (None, None),
])
def test_only_an_exact_class_name_or_a_label_object_is_read_as_a_label(answer, code):
    assert parse_answer(answer, CLASSES) == code


def test_the_prompt_names_each_class_with_its_description_and_shows_examples_as_answers():
    chat = messages("where is my refund", CLASSES, [Example(3, "love it", "pos")])
    assert "- positive: the customer is happy" in chat[0]["content"] and "- negative" in chat[0]["content"]
    assert chat[1:] == [{"role": "user", "content": "love it"}, {"role": "assistant", "content": "positive"},
                        {"role": "user", "content": "where is my refund"}]


def test_examples_take_a_few_labeled_rows_of_each_class():
    texts = ["a", "b", "c", "d", "e"]
    picked = pick_examples({0: "pos", 1: "pos", 2: "pos", 4: "neg"}, texts, CLASSES, per_class=2)
    assert [(e.row, e.code) for e in picked] == [(0, "pos"), (4, "neg"), (1, "pos")]


# -- answers from the server ----------------------------------------------------------------------
def test_good_malformed_and_non_class_answers_are_labeled_or_counted_as_unparsed(secrets, fake):
    results = label(fake.url, ["great app", "broken [json]", "x [malformed]", "y [nonclass]"])
    assert [(r.label, r.status) for r in results] == [("pos", OK), ("neg", OK), (None, UNPARSED), (None, UNPARSED)]
    assert results[2].raw == "I think it is positive, probably" and results[3].raw == "neutral"
    assert all(r.prompt_tokens == 10 and r.completion_tokens == 2 and r.latency_s > 0 for r in results)
    s = summarize(results, settings(fake.url, price_in=1.0, price_out=2.0))
    assert (s["labeled"], s["unparsed"], s["tokens"]) == (2, 2, 48)
    assert s["cost_per_1000"] == pytest.approx(1000 * (10 * 1.0 + 2 * 2.0) / 1e6)


def test_a_429_is_retried_after_the_wait_its_retry_after_asks(secrets):
    with FakeLLM(retry_after="7") as fake:
        sleeps = Sleeps()
        results = label(fake.url, ["good [429]"], sleep=sleeps)
    assert (results[0].label, results[0].status) == ("pos", OK)
    assert sleeps == [7.0] and [r["status"] for r in fake.requests] == [429, 200]


def test_a_500_is_retried_with_backoff_and_fails_after_the_retries(secrets, fake):
    sleeps = Sleeps()
    results = label(fake.url, ["good [500]", "bad [always500]"], sleep=sleeps, retries=2)
    assert (results[0].status, results[0].label) == (OK, "pos")
    assert (results[1].status, results[1].error) == (FAILED, "500")
    assert len([r for r in fake.requests if "[always500]" in r["text"]]) == 3  # the first try and 2 retries
    assert len(sleeps) == 3 and all(0 < s <= 30 for s in sleeps)


def test_a_slow_answer_times_out_and_the_row_fails_without_stalling_the_others(secrets, fake):
    results = label(fake.url, ["good", "late [slow]", "bad"], retries=1, timeout_s=0.5, threads=2)
    assert [r.status for r in results] == [OK, FAILED, OK]
    assert results[1].error == "timeout"


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past: no wait
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


def test_it_stops_sending_once_the_token_budget_is_spent(secrets, fake):
    # each answer costs 12 tokens: with a budget of 30, one thread sends 3 (12, 24, 36 >= 30) and no more
    results = label(fake.url, [f"good {i}" for i in range(8)], max_tokens=30)
    assert [r.status for r in results] == [OK] * 3 + [SKIPPED] * 5
    assert fake.answers() == 3


def test_it_sends_no_more_rows_than_the_row_budget(secrets, fake):
    results = label(fake.url, [f"good {i}" for i in range(6)], max_rows=4)
    assert [r.status for r in results] == [OK] * 4 + [SKIPPED] * 2 and fake.answers() == 4


def test_requests_start_no_closer_than_the_rate_limit_allows(secrets, fake):
    label(fake.url, [f"good {i}" for i in range(4)], requests_per_minute=300, threads=4)  # one each 0.2 s
    times = sorted(r["time"] for r in fake.requests)
    assert len(times) == 4 and times[-1] - times[0] >= 0.45  # 0.6 s apart from the first to the last, less jitter


def test_the_rate_limiter_spaces_slots_across_callers():
    now, waits = [0.0], []
    limiter = RateLimiter(120, clock=lambda: now[0], sleep=waits.append)
    for _ in range(3):
        limiter.wait()
    assert waits == [0.5, 1.0]


def test_concurrency_is_one_to_four_threads():
    with pytest.raises(ConfigError):
        LLMSettings("http://127.0.0.1:1/v1", "m", threads=5)
    with pytest.raises(ConfigError):
        LLMSettings("http://127.0.0.1:1/v1", "m", threads=0)


# -- the key stays secret -------------------------------------------------------------------------
def test_the_key_is_sent_but_never_in_a_result_a_log_a_file_or_an_error(secrets, fake, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    results = label(fake.url, ["good", "x [echo-key]", "y [always500]"], retries=0)
    sent = {k.lower(): v for k, v in fake.requests[0]["headers"].items()}
    assert sent["authorization"] == f"Bearer {KEY}"  # it did reach the server
    assert results[1].status == FAILED and results[1].error == "401"
    assert KEY not in repr(results) and KEY[:8] not in repr(results)
    assert KEY not in caplog.text and KEY[:8] not in caplog.text
    s = settings(fake.url)
    assert KEY not in repr(s) and KEY not in str(s.to_dict())
    with pytest.raises(ConfigError) as bad:
        LLMSettings(f"http://user:{KEY}@127.0.0.1:1/v1", "m")
    assert KEY not in str(bad.value)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != secrets:
            assert KEY.encode() not in path.read_bytes(), path


def test_a_server_address_with_a_password_or_query_is_refused():
    for url in ("http://me:pw@localhost:11434/v1", "https://api.example.com/v1?key=abc", "ftp://x/v1", "localhost"):
        with pytest.raises(ConfigError):
            LLMSettings(url, "m")


# -- who may --------------------------------------------------------------------------------------
def test_on_a_team_server_only_an_admin_may_send_rows_to_an_llm(secrets, fake, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    member, admin = User("ann@example.com"), User("boss@example.com", is_admin=True)
    with pytest.raises(PermissionDenied):
        start_llm_labels(settings(fake.url), CLASSES, ["good"], {}, member)
    with pytest.raises(PermissionDenied):
        apply_llm_labels(FakeStore(), [LLMResult(0, "pos", OK)], member)
    assert fake.requests == []
    job = start_llm_labels(settings(fake.url), CLASSES, ["good"], {}, admin)
    assert job.finished.wait(30) and [r.label for r in job.results] == ["pos"]


def test_on_ones_own_server_the_local_user_may(secrets, fake):
    job = start_llm_labels(settings(fake.url), CLASSES, ["good", "bad"], {}, LOCAL)
    assert job.finished.wait(30) and job.error == "" and job.done == 2


# -- agreement and use ----------------------------------------------------------------------------
def test_agreement_is_accuracy_and_cohens_kappa_on_rows_both_labeled():
    person = {0: "pos", 1: "pos", 2: "neg", 3: "neg", 4: "pos", 9: "neg"}
    llm = [LLMResult(0, "pos", OK), LLMResult(1, "neg", OK), LLMResult(2, "neg", OK), LLMResult(3, "neg", OK),
           LLMResult(4, None, UNPARSED), LLMResult(5, "pos", OK)]
    # rows 0-3 both labeled: person pos,pos,neg,neg; LLM pos,neg,neg,neg. p_o = 3/4;
    # p_e = P(pos)P(pos) + P(neg)P(neg) = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (3/4 - 1/2) / (1 - 1/2) = 1/2
    out = agreement(llm, person)
    assert out["n"] == 4 and out["accuracy"] == pytest.approx(0.75) and out["kappa"] == pytest.approx(0.5)
    assert agreement(llm, {7: "pos"}) == {"n": 0, "accuracy": None, "kappa": None}


class FakeStore:
    """The label store's API as the pre-labels use it."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def record_many(self, items, *, user, source="llm", note=""):
        self.calls.append({"items": list(items), "user": user, "source": source, "note": note})


def test_using_llm_labels_records_them_with_their_provenance_and_keeps_the_persons_own():
    store = FakeStore()
    results = [LLMResult(0, "pos", OK), LLMResult(1, "neg", OK), LLMResult(2, None, UNPARSED),
               LLMResult(3, None, SKIPPED)]
    assert apply_llm_labels(store, results, LOCAL, model="qwen2.5:7b", keep={1}) == 1
    (call,) = store.calls
    assert call["items"] == [(0, "pos")] and call["source"] == "llm" and call["user"] is LOCAL
    assert "qwen2.5:7b" in call["note"]


def test_a_run_checks_rows_the_person_labeled_that_were_not_shown_as_examples(secrets, fake):
    texts = [f"good {i}" if i % 2 else f"bad {i}" for i in range(40)]
    labeled = {i: ("pos" if i % 2 else "neg") for i in range(12)}
    job = start_llm_labels(settings(fake.url, max_rows=20, examples_per_class=1), CLASSES, texts, labeled, LOCAL)
    assert job.finished.wait(30) and job.error == ""
    shown = {e.row for e in job.examples}
    assert shown == {0, 1}
    checked = {r.row for r in job.results} & set(labeled)
    assert checked == set(range(2, 12))  # every other labeled row, none of the examples
    assert agreement(job.results, labeled) == {"n": 10, "accuracy": 1.0, "kappa": 1.0}


def test_stopping_a_run_leaves_the_rest_unsent(secrets, fake):
    gate = threading.Event()
    job = start_llm_labels(settings(fake.url, requests_per_minute=60), CLASSES, [f"good {i}" for i in range(5)],
                           {}, LOCAL)
    job.labeler.progress = lambda done, total: gate.set()
    assert gate.wait(30)
    job.stop()
    assert job.finished.wait(30)
    assert job.summary["skipped"] >= 3 and fake.answers() <= 2


# -- the LLM as a baseline on Evaluate --------------------------------------------------------------
@pytest.fixture
def finished_run(tiny_model, sentiment_csv):
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    return execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16,
                               learning_rate=3e-3)).run.path


def test_the_llm_baseline_of_a_run_is_stored_beside_it_with_accuracy_latency_cost_and_agreement(
        secrets, fake, finished_run):
    import pandas as pd

    from tuneboard.labeling import LLM_BASELINE_FILE, measure_llm_baseline, read_llm_baseline

    out = measure_llm_baseline(finished_run, settings(fake.url, max_rows=12, price_in=0.5, price_out=1.5), LOCAL,
                               sleep=Sleeps())
    frame = pd.read_parquet(finished_run / "predictions.parquet").head(12)
    llm = ["positive" if any(w in t for w in ("good", "great", "love")) else "negative" for t in frame["text"]]
    assert out["rows"] == 12 and fake.answers() == 12
    assert out["llm_accuracy"] == pytest.approx((frame["label"] == llm).mean())
    assert out["model_accuracy"] == pytest.approx((frame["label"] == frame["predicted"]).mean())
    assert out["agreement"] == pytest.approx((frame["predicted"] == llm).mean())
    assert out["cost_per_1000"] == pytest.approx(1000 * (10 * 0.5 + 2 * 1.5) / 1e6)
    assert out["model_latency_s"] > 0 and out["model_parameters"] > 1000
    assert out["host"] == urlsplit(fake.url).netloc and out["model"] == "fake-model"
    assert read_llm_baseline(finished_run) == out
    assert KEY.encode() not in (finished_run / LLM_BASELINE_FILE).read_bytes()
    for path in finished_run.rglob("*"):
        assert not path.is_file() or KEY.encode() not in path.read_bytes(), path


def test_on_a_team_server_a_member_cannot_measure_the_llm_baseline_even_of_her_own_run(
        secrets, fake, finished_run, monkeypatch):
    from tuneboard.labeling import measure_llm_baseline, read_llm_baseline
    from tuneboard.team import record_owner

    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    owner = User("ann@example.com")
    record_owner(finished_run, owner)  # her own run: only the team rule stops her
    with pytest.raises(PermissionDenied):
        measure_llm_baseline(finished_run, settings(fake.url), owner)
    assert fake.requests == [] and read_llm_baseline(finished_run) is None


def test_the_secrets_the_app_loaded_give_the_key_and_can_only_add_team_mode(fake, tmp_path, monkeypatch):
    """A team server reads its secrets from the file given with --secrets: the app hands them over."""
    from tuneboard.labeling import require_llm

    monkeypatch.chdir(tmp_path)  # no secrets file where the engine looks by default
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("TUNEBOARD_TEAM", raising=False)
    loaded = {"llm": {"api_key": KEY}, "tuneboard": {"team": True}}
    LLMLabeler(settings(fake.url), CLASSES, sleep=Sleeps(), secrets=loaded).label_rows([0], ["good"])
    assert {k.lower(): v for k, v in fake.requests[0]["headers"].items()}["authorization"] == f"Bearer {KEY}"
    with pytest.raises(PermissionDenied):
        require_llm(User("ann@example.com"), loaded)
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    with pytest.raises(PermissionDenied):  # secrets that say nothing of a team do not switch team mode off
        require_llm(User("ann@example.com"), {})
    require_llm(User("boss@example.com", is_admin=True), loaded)


def test_a_run_that_breaks_says_so_in_one_line_and_logs_no_key(secrets, fake, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)

    def broken(self, row, chat):
        raise RuntimeError(f"the library quoted its request: Authorization: Bearer {KEY}")

    monkeypatch.setattr(LLMLabeler, "_ask", broken)
    job = start_llm_labels(settings(fake.url), CLASSES, ["good"], {}, LOCAL)
    assert job.finished.wait(30)
    assert "RuntimeError" in job.error and KEY not in job.error and "\n" not in job.error
    assert "RuntimeError" in caplog.text and KEY not in caplog.text and KEY[:8] not in caplog.text
