"""Delete for good (issue 13, #10): the run's export, its token-cache entries and the upload or corrected
copy only it used go with it; what another run still uses, or what lies outside Tuneboard's folders, stays."""
from __future__ import annotations

import shutil

from tuneboard.batching import encode_cached
from tuneboard.config import TrainConfig
from tuneboard.export import export_run
from tuneboard.purge import CACHE_KEYS_FILE, delete_for_good, token_cache_dir
from tuneboard.training import execute


def test_delete_removes_everything_derived_from_the_run_and_nothing_shared(tmp_path, monkeypatch, sentiment_csv,
                                                                           tiny_model):
    from transformers import AutoTokenizer

    uploads = tmp_path / "uploads"
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(uploads))
    mine, shared = uploads / "aaa" / "mine.csv", uploads / "bbb" / "shared.csv"
    for p in (mine, shared):
        p.parent.mkdir(parents=True)
        shutil.copy(sentiment_csv, p)
    run = execute(TrainConfig(data=str(mine), validation=str(shared), model="tfidf")).run
    other = execute(TrainConfig(data=str(shared), model="tfidf")).run
    tok = AutoTokenizer.from_pretrained(tiny_model)
    encode_cached(tok, ["only this run"], None, 16, None, token_cache_dir(), used_by=run.path)
    encode_cached(tok, ["both runs"], None, 16, None, token_cache_dir(), used_by=run.path)
    encode_cached(tok, ["both runs"], None, 16, None, token_cache_dir(), used_by=other.path)
    entries = sorted(token_cache_dir().iterdir())
    assert len(entries) == 2 and len((run.path / CACHE_KEYS_FILE).read_text().split()) == 2
    only_mine = next(e for e in entries if e.name not in (other.path / CACHE_KEYS_FILE).read_text())
    zipped = export_run(run.path)

    removed = delete_for_good(run)

    assert removed[0] == str(run.path) and not run.path.exists()
    assert set(removed[1:]) == {str(zipped), str(only_mine), str(mine.resolve())}
    assert not mine.parent.exists()  # the upload's hash folder went with it
    assert shared.exists() and other.path.exists() and sentiment_csv.exists()
    assert [e for e in token_cache_dir().iterdir()] == [e for e in entries if e != only_mine]


def test_a_run_naming_files_outside_tuneboard_folders_deletes_only_itself(tmp_path, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    (run.path / CACHE_KEYS_FILE).write_text("../../../etc/passwd\n" + "a" * 40 + ".arrow\n")
    assert delete_for_good(run) == [str(run.path)]
    assert sentiment_csv.exists()
