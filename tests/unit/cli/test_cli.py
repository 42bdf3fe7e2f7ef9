"""The CLI is a contract: scripts outside the package rely on these commands and exit codes."""
import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples" / "support_tickets.csv"


def cli(*args, env_runs=None, lang_env=None):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env |= {"HF_HUB_OFFLINE": "1", **(lang_env or {})}
    if env_runs:
        env["TUNEBOARD_RUNS_DIR"] = str(env_runs)
    return subprocess.run([sys.executable, "-m", "tuneboard", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_train_predict_evaluate_end_to_end_on_the_demo(tiny_model, tmp_path):
    r = cli("train", DEMO, "--model", tiny_model, "--epochs", "1", "--batch-size", "32",
            "--learning-rate", "3e-3", "--max-length", "48", "--output", tmp_path / "runs")
    assert r.returncode == 0, r.stderr
    run_dir = Path(r.stdout.strip().splitlines()[-1])
    assert "step" in r.stdout and "eval epoch" in r.stdout          # progress lines
    m = json.loads((run_dir / "metrics.json").read_text())
    assert {"accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(m)
    assert set(m["per_class"]) == {"account_access", "billing", "cancellation", "shipping", "technical_issue"}
    for row in m["per_class"].values():
        assert {"precision", "recall", "f1", "support"} <= set(row)
    assert len(m["confusion_matrix"]["matrix"]) == 5

    r = cli("predict", run_dir, "--text", "where is my parcel", "--text", "refund my card", "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.strip().splitlines()]
    assert len(lines) == 2 and lines[0]["text"] == "where is my parcel"
    assert lines[0]["label"] in m["per_class"] and sum(lines[0]["scores"].values()) == pytest.approx(1.0, abs=1e-4)

    out = tmp_path / "pred.csv"
    r = cli("predict", run_dir, "--input", DEMO, "--output", out)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert list(df.columns[:2]) == ["message", "intent"] and "predicted_label" in df.columns
    assert {f"score_{k}" for k in m["per_class"]} <= set(df.columns) and len(df) == len(pd.read_csv(DEMO))

    r = cli("evaluate", run_dir, DEMO, "--json")
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout)
    assert ev["n"] == len(df) and 0 <= ev["macro_f1"] <= 1 and "confusion_matrix" in ev


@pytest.mark.parametrize("args, words", [
    (["train", "no/such/file.csv"], "not found"),
    (["train", str(DEMO), "--label-column", "nope"], "Column 'nope' is not in the file"),
    (["train", str(DEMO), "--epochs", "0"], "Epochs 0"),
    (["predict", "no/such/run", "--text", "hi"], "not a run folder"),
    (["inspect", "no/such/file.csv"], "not found"),
])
def test_bad_input_exits_2_with_one_line(args, words, tmp_path):
    r = cli(*args, env_runs=tmp_path / "runs")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert words in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}(?:[ ,.:;'-]+[A-Za-z]{2,}){2,}")  # three English words in a row


@pytest.mark.parametrize("args, lang_env", [
    (["--lang", "zh", "train", "no/such/file.csv"], None),
    (["inspect", "no/such/file.csv", "--lang", "zh"], None),
    (["inspect", "no/such/file.csv"], {"LANG": "zh_CN.UTF-8"}),
    (["inspect", "no/such/file.csv"], {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}),
])
def test_the_cli_in_chinese_says_a_missing_file_in_chinese_with_no_english_sentence(args, lang_env, tmp_path):
    r = cli(*args, env_runs=tmp_path / "runs", lang_env=lang_env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and line.startswith("错误：") and "找不到文件" in line
    assert not ENGLISH_WORDS.search(line.replace("no/such/file.csv", "")), line


@pytest.mark.parametrize("args, lang_env", [
    (["inspect", "no/such/file.csv"], None),
    (["inspect", "no/such/file.csv"], {"LANG": "C.UTF-8"}),
    (["--lang", "en", "inspect", "no/such/file.csv"], {"LANG": "zh_CN.UTF-8"}),
])
def test_the_cli_speaks_english_by_default_and_when_asked(args, lang_env, tmp_path):
    r = cli(*args, env_runs=tmp_path / "runs", lang_env=lang_env)
    assert r.returncode == 2 and r.stderr.startswith("error: File not found"), r.stderr


def test_every_command_is_still_there_after_the_split_into_modules():
    from tuneboard.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"inspect", "train", "evaluate", "predict", "compare", "export", "serve", "api-key", "search", "report",
            "distill", "classes"} <= set(sub.choices)

    def handled(parser, above=None):  # a command group (``label``, ``model``) may hand over to its own commands
        handler = parser.get_default("handler") or above
        groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return all(handled(p, handler) for g in groups for p in g.choices.values()) if groups else bool(handler)

    assert all(handled(command) for command in sub.choices.values())
    report = sub.choices["report"].parse_args(["RUN", "--lang", "zh"])  # the report's own --lang, as before
    assert report.report_lang == "zh" and report.handler.__name__ == "cmd_report"


def test_one_class_only_exits_2(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "".join(f"message number {i},billing\n" for i in range(20)))
    r = cli("train", path, env_runs=tmp_path / "runs")
    assert r.returncode == 2 and "same label" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_real_bundled_model_learns_a_small_slice(tmp_path):
    """The bundled MiniLM on 250 demo rows, 2 epochs: clearly above chance (0.2 for 5 classes)."""
    df = pd.read_csv(DEMO).sample(250, random_state=0)
    data = tmp_path / "slice.csv"
    df.to_csv(data, index=False)
    r = cli("train", data, "--preset", "fast", "--epochs", "2", "--output", tmp_path / "runs")
    assert r.returncode == 0, r.stderr
    m = json.loads((Path(r.stdout.strip().splitlines()[-1]) / "metrics.json").read_text())
    assert m["macro_f1"] > 0.5, m["macro_f1"]


def test_train_tfidf_exits_0_and_prints_the_run_folder(tmp_path):
    r = cli("train", DEMO, "--model", "tfidf", "--output", tmp_path / "runs")
    assert r.returncode == 0, r.stderr
    run_dir = Path(r.stdout.strip().splitlines()[-1])
    assert (run_dir / "model" / "baseline.json").is_file()
    assert r.stdout.splitlines()[-2].startswith("completed: macro_f1 ")


def test_predict_output_csv_escapes_formula_cells(tmp_path):
    r = cli("train", DEMO, "--model", "tfidf", "--output", tmp_path / "runs", "--quiet")
    run_dir = Path(r.stdout.strip().splitlines()[-1])
    pd.DataFrame({"message": ["=HYPERLINK(\"http://evil\",\"click\")", "@SUM(A1)", "where is my parcel"],
                  "n": [-1, 2, 3]}).to_csv(tmp_path / "in.csv", index=False)
    r = cli("predict", run_dir, "--input", tmp_path / "in.csv", "--output", tmp_path / "out.csv",
            "--text-column", "message")
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["message"].tolist() == ["'=HYPERLINK(\"http://evil\",\"click\")", "'@SUM(A1)", "where is my parcel"]
    assert out["n"].tolist() == [-1, 2, 3]


def _train_then_interrupt(tiny_model, tmp_path, presses):
    import signal
    import time

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "tuneboard", "train", str(DEMO), "--model", tiny_model,
                             "--epochs", "100", "--batch-size", "8", "--max-length", "32",
                             "--output", str(tmp_path / "runs")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    for line in proc.stdout:  # wait until training steps are running
        if line.startswith("epoch ") or time.time() > deadline:
            break
    said = []
    for press in range(presses):
        proc.send_signal(signal.SIGINT)
        if press < presses - 1:  # the next press lands once this one is heard: while the graceful stop saves
            said.append(proc.stderr.readline())
    out, err = proc.communicate(timeout=180)
    err = "".join(said) + err
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    return proc.returncode, out, err, runs[0]


def test_first_ctrl_c_stops_gracefully_and_keeps_the_model(tiny_model, tmp_path):
    code, out, err, run_dir = _train_then_interrupt(tiny_model, tmp_path, presses=1)
    assert code == 0, err
    assert out.strip().splitlines()[-1] == str(run_dir)
    assert json.loads((run_dir / "status.json").read_text())["status"] == "stopped"
    assert (run_dir / "model" / "config.json").is_file() and (run_dir / "metrics.json").is_file()
    assert "Ctrl-C again to abort" in err and "Traceback" not in err


def test_second_ctrl_c_aborts(tiny_model, tmp_path):
    code, out, err, run_dir = _train_then_interrupt(tiny_model, tmp_path, presses=2)
    assert code == 130, err
    assert json.loads((run_dir / "status.json").read_text())["status"] == "failed"
    assert "Traceback" not in err


def test_progress_lines_are_in_the_commands_language_though_training_runs_on_another_thread(capsys):
    import threading

    from tuneboard.cli.progress import ProgressPrinter
    from tuneboard.i18n import set_language
    from tuneboard.protocol import Evaluation

    set_language("zh")
    try:
        printer = ProgressPrinter(quiet=False)
    finally:
        set_language("en")
    event = Evaluation(is_best=True, metrics={"accuracy": 0.9}, eval_loss=0.3, step=4, epoch=1.0).to_dict()
    worker = threading.Thread(target=printer, args=(event,))  # a new thread starts in English, as training does
    worker.start()
    worker.join()
    assert capsys.readouterr().out == "评估 第 1.00 轮：accuracy 0.9000  eval_loss 0.3000（最佳）\n"
