"""The stakeholder report: one small, script-free HTML file whose first screen is a decision, every user
string escaped, every term explained, the advice following the evidence, and fully Chinese in Chinese."""
import csv
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import sentiment_rows
from tuneboard import i18n
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.evaluate.report import build_report, how_often, what_it_does, write_report
from tuneboard.runs.folder import create_run, open_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[3]
EVIL = "<img src=x onerror=alert(1)>"
BOLD = "neg<b>ative</b>"  # a label with markup in it
LIMIT = 1_500_000  # bytes: a report travels by e-mail and prints


def make_run(tiny_model: str, folder: Path) -> Path:
    """A tiny-BERT run on sentiment rows from a file with markup in its name; the file also has a 'channel'
    column (slices), hostile texts and a label with markup."""
    data = folder / "re<i>views&.csv"
    rows = sentiment_rows(160)
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment", "channel"])
        w.writerows((f"{EVIL} {t}", BOLD if label == "negative" else label, "web" if i % 3 else "app")
                    for i, (t, label) in enumerate(rows))
    return execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                               freeze_embeddings=False, val_size=0.3)).run.path


def first_screen(page: str) -> str:
    return page.split('<section class="first">', 1)[1].split("</section>", 1)[0]


def section(page: str, heading: str) -> str:
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]


def test_report_is_one_small_offline_file_with_every_user_string_escaped(tiny_model, tmp_path):
    run = make_run(tiny_model, tmp_path)
    path = write_report(run, tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < LIMIT  # plotly.js alone was 4.8 MB
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and "break-after:page" in page
    assert "<script" not in page and "http" not in page  # nothing to run, nothing to fetch
    body = page.split("</head>", 1)[1]
    assert "<img" not in body and "<b>ative" not in body and "<i>views" not in body
    assert "neg&lt;b&gt;ative" in first_screen(page)  # the class list of "what it does"
    assert "re&lt;i&gt;views&amp;.csv" in page and "&lt;img src=x" in page
    assert 'class="tb-word"' in page  # example predictions with their words weighed
    for heading in ("Compared with the simple model", "Class by class", "Can you trust its confidence?",
                    "Example predictions", "Where it is weaker", "What was trained", "What to do next"):
        assert f"<h2>{heading}</h2>" in page
    assert "<td>channel</td>" in section(page, "Where it is weaker")  # the extra column became slices
    assert 'class="grid"' in page and "<th>neg&lt;b&gt;ative&lt;/b&gt;</th>" in page  # the confusion grid, escaped
    assert not list(path.parent.glob(".*.tmp"))


def test_the_first_screen_is_a_decision_with_examples_and_risks(tiny_model, tmp_path):
    page = build_report(open_run(make_run(tiny_model, tmp_path)))
    first = first_screen(page)
    order = ["<h1>Should we use this model?</h1>", "What it does: it reads a text and puts it into one of 2",
             'class="verdict ', "Recommendation: ", "The score here is Macro-F1: the average of how well each class",
             "How often it is right", "times in 10:", "A right call", "Risks to know about"]
    where = [first.find(text) for text in order]
    assert -1 not in where and where == sorted(where), dict(zip(order, where, strict=True))
    assert "Model report" not in page and "single-label" not in page and "preset fast" not in page
    assert "(one pass is an “epoch”)" in section(page, "What was trained")
    assert "Integrated Gradients, a method that" in section(page, "Example predictions")


def fake_finetuned(run_path: Path, **metrics) -> None:
    """Make a quick TF-IDF run look like a fine-tuned one with the given scores, still improving at the end."""
    saved = json.loads((run_path / "metrics.json").read_text(encoding="utf-8"))
    saved.pop("model_kind", None)
    saved.update(metrics)
    (run_path / "metrics.json").write_text(json.dumps(saved), encoding="utf-8")
    events = [{"type": "train", "step": s, "epoch": s / 10, "loss": 1.0 - s / 40, "learning_rate": 1e-4,
               "time": 1.0 + s} for s in (5, 10, 15, 20)]
    events += [{"type": "eval", "step": s, "epoch": s / 10, "macro_f1": f, "eval_loss": 0.6, "time": 2.0 + s}
               for s, f in ((10, 0.5), (20, 0.6))]
    with open(run_path / "history.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


@pytest.fixture
def losing_run(sentiment_csv):
    """A 'fine-tuned' run at 0.6 Macro-F1 that the TF-IDF baseline beats at 0.95, with the curve still rising."""
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    fake_finetuned(run.path, main_metric="macro_f1", macro_f1=0.6, accuracy=0.62, baseline={"macro_f1": 0.95})
    return run


@pytest.mark.parametrize("lang, more_epochs", [("en", r"more epochs|epochs"), ("zh", r"训练轮数|轮数")])
def test_when_the_simple_model_wins_the_report_says_so_and_never_advises_more_epochs(losing_run, lang, more_epochs):
    from tuneboard.evaluate.coaching import coach

    assert "still_improving" in {tip["kind"] for tip in coach(losing_run.history(), losing_run.metrics())}
    i18n.set_language(lang)
    try:
        page = build_report(losing_run, examples=0)
        heading = i18n.t("report.next")
        call = i18n.t("report.call_use_baseline")
    finally:
        i18n.set_language("en")
    assert 'class="verdict use_baseline"' in first_screen(page) and html.escape(call) in first_screen(page)
    assert not re.search(more_epochs, section(page, heading)), section(page, heading)


# Words a Chinese report may hold in Latin letters: model names, the F1 score's name, the product, and units.
ALLOWED = {"TF-IDF", "tfidf", "F1", "R²", "Tuneboard", "csv", "README", "md"}  # names: README.md is a file


def english_left(page: str, data: list[str]) -> list[str]:
    """The Latin-letter words of the page's visible text, once data strings (texts, labels, names) are cut out."""
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    text = html.unescape(text)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9²\-]+", text) if w not in ALLOWED]


@pytest.mark.parametrize("scores", [{}, {"macro_f1": 0.6, "accuracy": 0.62, "baseline": {"macro_f1": 0.95}},
                                    {"per_class": {"negative": {"precision": 0.9, "recall": 0.2, "f1": 0.3,
                                                                "support": 20}}, "ece": 0.3}],
                         ids=["ship", "use the simple model", "weak class and overconfidence"])
def test_the_chinese_report_is_chinese_throughout(sentiment_csv, scores):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    if scores:
        fake_finetuned(run.path, **scores)
    i18n.set_language("zh")
    try:
        page = build_report(run)
    finally:
        i18n.set_language("en")
    frame = pd.read_parquet(run.path / "predictions.parquet")
    texts = frame["text"].astype(str).tolist()  # whole, and word by word (the examples weigh each word)
    data = [*texts, *(w for x in texts for w in x.split()), "positive", "negative", run.run_id, sentiment_csv.name,
            "review"]
    assert english_left(page, data) == []
    assert "**" not in page and "`" not in page and '<html lang="zh">' in page
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", "\n", page, flags=re.S)
    assert not re.search(r"[\u4e00-\u9fff][.,;:!?]", visible)  # Chinese punctuation after Chinese words


def test_no_raw_markdown_in_either_language(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    fake_finetuned(run.path, macro_f1=0.6, baseline={"macro_f1": 0.95})
    for lang in ("en", "zh"):
        i18n.set_language(lang)
        try:
            page = build_report(run)
        finally:
            i18n.set_language("en")
        assert not re.search(r"\*\*|`|^#|\]\(", page, flags=re.M), lang


def test_what_it_does_and_how_often_it_is_right_in_words():
    single = {"task": "single_label", "labels": [f"c{i}" for i in range(10)], "accuracy": 0.912, "n_val": 200}
    assert what_it_does(single, "body") == ("What it does: it reads a text (column “body”) and puts it into one of 10 "
                                            "classes: “c0”, “c1”, “c2”, “c3”, “c4”, “c5”, “c6”, “c7” and 2 more.")
    assert how_often(single) == ("It picks the right class about 9 times in 10: 91.2% of 200 test texts it never "
                                 "saw while learning.")
    multi = {"task": "multi_label", "labels": ["a", "b"], "subset_accuracy": 0.5, "n_val": 10}
    assert "marks which of 2 labels apply" in what_it_does(multi) and "exactly right about 5 times" in how_often(multi)
    regression = {"task": "regression", "mae": 0.25, "n_val": 30}
    assert "predicts a number" in what_it_does(regression) and "off by 0.250 on average" in how_often(regression)


def test_cli_report_and_a_run_without_scores(tmp_path, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run.path
    r = subprocess.run([sys.executable, "-m", "tuneboard", "report", str(run)], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    page = (run / "report.html").read_text(encoding="utf-8")
    assert 'class="tb-explained"' in page and "fine-tuned transformer" not in page  # the TF-IDF model's own weights
    empty = create_run(TrainConfig(data=str(sentiment_csv)))
    with pytest.raises(ConfigError, match="no scores yet"):
        build_report(empty)
    r = subprocess.run([sys.executable, "-m", "tuneboard", "report", str(empty.path)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("error: ")
