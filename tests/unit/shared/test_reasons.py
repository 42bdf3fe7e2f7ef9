"""A run's status reason is kept as a catalog key with its values and read in each reader's language; a
status.json written before keys were kept (English text) still reads as written."""
from __future__ import annotations

import json

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import DataError
from tuneboard.i18n import set_language, t
from tuneboard.protocol import RunStatus, reason_text, stop_reason
from tuneboard.runs.folder import create_run, open_run


@pytest.fixture
def in_chinese():
    set_language("zh")
    yield
    set_language("en")


def _read_in(lang: str, path) -> str:
    set_language(lang)
    try:
        return str(reason_text(open_run(path).status()["reason"]))
    finally:
        set_language("en")


def test_a_reason_is_stored_as_its_key_and_read_in_either_language():
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status(RunStatus.STOPPED, t("engine.status.stopped_by_user"))
    stored = json.loads((run.path / "status.json").read_text(encoding="utf-8"))
    assert stored["reason_code"] == {"key": "engine.status.stopped_by_user", "values": {}}
    assert stored["reason"] == "Stopped by the user; the best model so far was kept."  # for older readers
    assert _read_in("zh", run.path) == "已被用户停止；保留了目前最好的模型。"
    assert _read_in("en", run.path) == "Stopped by the user; the best model so far was kept."


def test_a_reason_said_inside_a_reason_is_read_in_the_readers_language_too(in_chinese):
    set_language("en")  # a training thread writes in English
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status(RunStatus.COMPLETED, t("engine.reason.stopped_early", why=stop_reason("macro_f1", 3, 0.0)))
    stored = json.loads((run.path / "status.json").read_text(encoding="utf-8"))
    assert stored["reason"] == "Stopped early: validation macro-F1 did not improve for 3 evaluations."
    zh = _read_in("zh", run.path)
    assert zh == "提前停止：验证集宏平均 F1连续 3 次评估没有提升。" and not any(c.isascii() and c.isalpha()
                                                                    for c in zh.replace("F1", ""))


def test_a_failure_raised_in_chinese_is_kept_in_english_and_read_in_chinese(in_chinese):
    error = DataError(t("engine.err.cli.no_data"))  # raised while a Chinese reader's page ran
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status(RunStatus.FAILED, error.reason())
    stored = json.loads((run.path / "status.json").read_text(encoding="utf-8"))
    assert stored["reason"].startswith("No DATA file given.")
    assert _read_in("zh", run.path) == str(error)
    assert _read_in("en", run.path).startswith("No DATA file given.")


@pytest.mark.parametrize("reason", ["CUDA ran out of memory. Try a smaller batch size.",
                                    "Stopped by the user; the best model so far was kept."])
def test_an_old_status_json_with_an_english_reason_still_shows(reason):
    run = create_run(TrainConfig(data="d.csv"))
    (run.path / "status.json").write_text(json.dumps({"status": "failed", "reason": reason}), encoding="utf-8")
    assert _read_in("en", run.path) == reason
    assert _read_in("zh", run.path) == (reason if reason.startswith("CUDA") else "已被用户停止；保留了目前最好的模型。")


def test_a_new_reason_replaces_the_old_ones_key():
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status(RunStatus.STOPPED, t("engine.status.stopped_by_user"))
    run.set_status(RunStatus.FAILED, "a library's own message")
    stored = json.loads((run.path / "status.json").read_text(encoding="utf-8"))
    assert "reason_code" not in stored and _read_in("zh", run.path) == "a library's own message"
