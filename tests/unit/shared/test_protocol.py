"""The run protocol: every event kind survives a trip through a history line, old lines still read."""
from __future__ import annotations

import json

import pytest

from tuneboard import protocol as p
from tuneboard.protocol import RunStatus

EVENTS = [
    p.Start(device="cpu", amp="None", task="single_label", labels=["neg", "pos"], n_train=48, n_val=12,
            total_steps=12, batch_size=16, epochs=4, model="tiny", time=1.5),
    p.TrainStep(step=3, epoch=0.75, loss=0.61, learning_rate=2e-4, samples_per_second=80.0, tokens_per_second=900.0,
                progress=0.19, elapsed=1.2, eta=5.1, batch_size=16, time=2.0),
    p.TrainStep(step=4, epoch=1.0, loss=0.5, progress=1.0, eta=None, gpu_memory_gb=1.25, time=2.5),
    p.Evaluation(is_best=True, metrics={"accuracy": 0.9, "macro_f1": 0.88, "n": 12}, eval_loss=0.3, step=4,
                 epoch=1.0, time=3.0),
    p.Status(status=RunStatus.FAILED, reason="The data went away.", time=4.0),
    p.Notice(level="warning", message="Ran out of memory; continuing with batch size 8.", time=5.0),
    p.Baseline(metrics={"macro_f1": 0.7, "fit_seconds": 0.2}, time=6.0),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_each_event_kind_round_trips_through_a_history_line(event):
    line = json.loads(json.dumps(event.to_dict()))
    assert line["type"] == event.kind.value
    back = p.parse_event(line)
    assert type(back) is type(event) and back == event
    assert back.to_dict() == event.to_dict()


def test_lines_keep_the_keys_history_files_have_always_had():
    assert p.Status(status=RunStatus.RUNNING, time=1.0).to_dict() == {"type": "status", "status": "running",
                                                                        "time": 1.0}
    assert p.Notice(message="hi").to_dict() == {"type": "notice", "message": "hi"}  # no level, no time when unset
    train = p.TrainStep(step=1, eta=None).to_dict()
    assert "eta" in train and train["eta"] is None and "gpu_memory_gb" not in train
    ev = p.Evaluation(is_best=False, metrics={"rmse": 0.4}, step=2, epoch=1.0).to_dict()
    assert list(ev) == ["type", "is_best", "rmse", "step", "epoch"]  # metrics flat, no eval_loss for TF-IDF


def test_an_old_line_with_unknown_and_missing_keys_still_parses():
    old = {"type": "eval", "step": 7, "macro_f1": 0.8, "per_class": {"a": {}}, "some_future_key": "x",
           "eval_loss": 0.5}
    ev = p.parse_event(old)
    assert isinstance(ev, p.Evaluation)
    assert ev.step == 7 and ev.eval_loss == 0.5 and ev.metrics == {"macro_f1": 0.8} and ev.is_best is False
    train = p.parse_event({"type": "train", "step": 1, "loss": 2.0, "surprise": True})
    assert isinstance(train, p.TrainStep) and train.loss == 2.0 and train.progress == 0.0
    assert p.parse_event({"type": "a_kind_from_the_future"}) is None and p.parse_event({}) is None
    status = p.parse_event({"type": "status", "status": "paused_by_a_newer_version"})
    assert status.status is RunStatus.UNKNOWN
    assert len(p.parse_events([old, {"type": "zzz"}, {"type": "notice", "message": "m"}])) == 2


def test_active_and_final_sets_split_the_statuses():
    assert p.ACTIVE == {RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.STOPPING}
    assert p.FINAL == {RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.FAILED, RunStatus.INTERRUPTED}
    assert not p.ACTIVE & p.FINAL and p.HAS_MODEL < p.FINAL
    assert set(RunStatus) - p.ACTIVE - p.FINAL == {RunStatus.UNKNOWN}
    assert "running" in p.ACTIVE and "failed" in p.FINAL  # plain words from status.json compare equal
    assert json.dumps(RunStatus.STOPPED) == '"stopped"' and f"{RunStatus.QUEUED}" == "queued"


def test_progress_folds_start_and_train_events_only():
    latest: dict = {}
    for e in EVENTS:
        p.update_progress(latest, e)
    assert latest["total_steps"] == 12 and latest["step"] == 4 and latest["progress"] == 1.0
    assert "type" not in latest and "eval_loss" not in latest and "status" not in latest


def test_run_metrics_writes_the_keys_metrics_json_has_always_had():
    m = p.RunMetrics(task="single_label", labels=["a", "b"], main_metric="macro_f1", higher_is_better=True,
                     scores={"accuracy": 1.0, "macro_f1": 1.0, "eval_loss": 0.1}, n_train=8, n_val=2, best_step=3,
                     best_epoch=1.0, train_runtime_s=1.0, train_samples_per_second=8.0, train_cpu_s=0.9,
                     train_tokens_per_second=50.0, wall_time_s=2.0, batch_size_final=4, baseline={"macro_f1": 0.5})
    assert list(m.to_dict()) == ["task", "labels", "main_metric", "higher_is_better", "best_step", "best_epoch",
                                 "accuracy", "macro_f1", "eval_loss", "train_runtime_s", "train_samples_per_second",
                                 "train_cpu_s", "train_tokens_per_second", "wall_time_s", "batch_size_final",
                                 "n_train", "n_val", "baseline"]
    tfidf = p.RunMetrics(task="regression", labels=[], main_metric="rmse", higher_is_better=False,
                         scores={"rmse": 0.2, "fit_seconds": 0.1}, n_train=8, n_val=2, model_kind=p.BASELINE_MODEL,
                         train_runtime_s=0.1, wall_time_s=0.1).to_dict()
    assert tfidf["model_kind"] == "tfidf" and "baseline" not in tfidf and "best_step" not in tfidf


def test_a_notice_is_kept_in_english_and_read_in_the_readers_language():
    from tuneboard.i18n import set_language

    note = p.Notice.of("engine.notice.out_of_memory", level="warning", batch=8)
    line = note.to_dict()
    assert line["message"] == "Ran out of memory; continuing from the same step with batch size 8."
    back = p.parse_event(json.loads(json.dumps(line)))
    set_language("zh")
    try:
        assert back.text() == "内存不足；从同一步继续，批大小改为 8。"
        assert p.Notice(message="an old line, before keys").text() == "an old line, before keys"
    finally:
        set_language("en")
    assert back.text() == line["message"]


def test_a_note_on_the_data_made_in_english_by_training_is_read_in_chinese_on_the_live_page():
    from tuneboard.i18n import Said, said, set_language

    note = said("engine.note.read.no_header")  # as the training thread says it (English)
    assert isinstance(note, Said) and note.startswith("The first row")
    line = p.Notice.of(note.key, **note.values).to_dict()
    set_language("zh")
    try:
        assert p.parse_event(line).text().startswith("首行看起来是数据")
    finally:
        set_language("en")


def test_an_early_stop_is_kept_in_english_and_read_in_the_readers_language():
    from tuneboard.i18n import set_language
    from tuneboard.train.stopping import EarlyStopper

    stopper = EarlyStopper(patience=3, min_delta=0.01, metric="macro_f1")
    set_language("zh")
    try:
        reason = stopper.reason()  # the record keeps English whatever the language of the thread
        event = p.parse_event(p.EarlyStop(metric="macro_f1", reason=reason, patience=3, min_delta=0.01).to_dict())
        assert event.text() == "验证集宏平均 F1连续 3 次评估没有提升（提升不超过 0.01）"
    finally:
        set_language("en")
    assert reason == event.text() == "validation macro-F1 did not improve by more than 0.01 for 3 evaluations"


def test_the_reasons_tuneboard_writes_itself_are_read_in_the_readers_language():
    from tuneboard.i18n import set_language

    set_language("zh")
    try:
        assert p.reason_text(p.STOPPED_REASON) == "已被用户停止；保留了目前最好的模型。"
        early = p.EARLY_PREFIX + "validation accuracy did not improve for 2 evaluations."
        assert p.reason_text(early).startswith("提前停止")
        assert p.reason_text("CUDA ran out of memory") == "CUDA ran out of memory" and p.reason_text(None) is None
    finally:
        set_language("en")
