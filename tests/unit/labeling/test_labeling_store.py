"""The label store: durable, append-only, undoable, with provenance, safe under threads, guarded by who may label,
and the agreement between two people (Cohen's kappa, conflicts the owner settles)."""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from tuneboard.errors import DataError, PermissionDenied
from tuneboard.labeling import (
    LabelClass,
    LabelStore,
    conflicts,
    export_labels,
    import_labels,
    kappa,
    table_sha,
    training_table,
)
from tuneboard.runs import RunStore
from tuneboard.team import LOCAL, User

SHA = "ab" * 32
ALICE, BOB, EVE = User("alice@example.com"), User("bob@example.com"), User("eve@example.com")


@pytest.fixture
def store(tmp_path, monkeypatch) -> LabelStore:
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(tmp_path / "uploads"))
    for person in (ALICE, BOB):  # both uploaded the table: both may label it
        RunStore().record_upload(SHA, person.id, tmp_path / "t.csv", 10)
    s = LabelStore.open(SHA)
    s.set_classes([LabelClass("1", "refund", "money back", "green"), LabelClass("2", "delivery", "", "blue")],
                  user=ALICE)
    return s


def test_labels_survive_closing_and_opening_the_store_again(store):
    store.record(0, "refund", user=ALICE, source="person", note="clear case")
    store.record(1, "2", user=ALICE, source="suggestion")
    again = LabelStore.open(SHA)
    assert again.current() == {0: "1", 1: "2"}
    assert [(e.row, e.source, e.note) for e in again.events()] == [(0, "person", "clear case"), (1, "suggestion", "")]


def test_every_event_keeps_the_previous_value_and_who_and_when(store):
    store.record(3, "refund", user=ALICE, source="llm")
    store.record(3, "delivery", user=ALICE, source="person")
    store.record(3, None, user=ALICE, source="person")
    events = store.events(row=3)
    assert [(e.label, e.previous, e.source) for e in events] == [("1", None, "llm"), ("2", "1", "person"),
                                                                (None, "2", "person")]
    assert all(e.user == ALICE.id and e.at > 0 for e in events)
    assert 3 not in store.current()


def test_undo_takes_back_the_persons_last_label_and_then_the_one_before(store):
    store.record(0, "refund", user=ALICE, source="person")
    store.record(1, "refund", user=ALICE, source="person")
    store.record(1, "delivery", user=ALICE, source="person")
    assert store.undo(ALICE).row == 1
    assert store.current() == {0: "1", 1: "1"}
    assert store.undo(ALICE).label == "1"
    assert store.undo(ALICE).row == 0
    assert store.current() == {}
    assert store.undo(ALICE) is None
    assert store.undo(BOB) is None  # nothing of Bob's to take back


def test_unknown_labels_and_rows_are_refused_in_one_line(store):
    with pytest.raises(DataError, match="not a class"):
        store.record(0, "spam", user=ALICE, source="person")
    with pytest.raises(DataError, match="not a row"):
        store.record(-1, "refund", user=ALICE, source="person")
    with pytest.raises(DataError, match="not a source"):
        store.record(0, "refund", user=ALICE, source="robot")


def test_someone_who_may_not_label_the_table_is_refused_by_the_engine(store):
    with pytest.raises(PermissionDenied):
        store.record(0, "refund", user=EVE, source="person")
    with pytest.raises(PermissionDenied):
        store.settle(0, "refund", BOB)  # Bob labels, but only Alice (the owner) or an admin settles
    with pytest.raises(PermissionDenied):
        store.set_classes([LabelClass("1", "money")], user=BOB)
    store.settle(0, "refund", LOCAL)  # an admin may
    assert store.events() and all(e.user != EVE.id for e in store.events())


def test_threads_writing_at_once_lose_no_label(store):
    errors: list[BaseException] = []

    def label(start: int) -> None:
        try:
            for row in range(start, start + 25):
                store.record(row, "refund" if row % 2 else "delivery", user=ALICE, source="person")
        except BaseException as e:  # noqa: BLE001 -- reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=label, args=(i * 25,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(store.current()) == 100 and len(store.events()) == 100


def test_kappa_matches_the_hand_computed_value_and_conflicts_go_to_the_owner(store):
    # Ten rows: Alice and Bob agree on 8 (5 x refund, 3 x delivery) and disagree on 2 (one each way).
    alice = ["1"] * 6 + ["2"] * 4
    bob = ["1"] * 5 + ["2"] + ["2"] * 3 + ["1"]
    store.record_many(enumerate(alice), user=ALICE, source="person")
    store.record_many(enumerate(bob), user=BOB, source="person")
    # p_o = 0.8; p_e = 0.6*0.6 + 0.4*0.4 = 0.52; kappa = (0.8 - 0.52) / 0.48
    assert kappa(store) == pytest.approx((0.8 - 0.52) / 0.48)
    assert [c.row for c in conflicts(store)] == [5, 9]
    assert 5 not in store.current() and store.current()[0] == "1"
    store.settle(5, "delivery", ALICE)
    assert [c.row for c in conflicts(store)] == [9]
    assert store.current()[5] == "2"


def test_export_import_and_the_training_table_keep_where_each_label_came_from(store, tmp_path):
    df = pd.DataFrame({"text": [f"text {i}" for i in range(6)], "label": ["", "", "", "", "refund", ""]})
    store.record(0, "refund", user=ALICE, source="person")
    store.record(1, "delivery", user=ALICE, source="llm")
    out = export_labels(store, df, "text")
    assert out[["row", "text", "label", "label_source", "labeled_by"]].values.tolist() == [
        [0, "text 0", "refund", "person", ALICE.id], [1, "text 1", "delivery", "llm", ALICE.id]]
    file = tmp_path / "labels.csv"
    out.assign(row=[2, 3]).to_csv(file, index=False)
    assert import_labels(store, file, user=ALICE) == 2
    imported = store.events(row=3)[-1]
    assert imported.source == "imported" and "llm" in imported.note and imported.label == "2"
    path = training_table(store, df, "text", label_column="label")
    table = pd.read_parquet(path)
    assert table.columns.tolist() == ["text", "label", "label_source"]
    assert table["label_source"].tolist() == ["person", "llm", "imported", "imported", "table"]
    assert path.is_relative_to(tmp_path / "uploads")


def test_a_bundled_example_can_be_labeled_by_anyone_and_the_table_hash_is_its_bytes(tmp_path):
    from tuneboard.paths import PROJECT

    example = PROJECT / "examples" / "support_tickets.csv"
    s = LabelStore.open(table_sha(example))
    s.record(0, "anything", user=EVE, source="person")  # no label set yet: any label is its own class
    assert s.current() == {0: "anything"} and s.owner() == EVE.id


def test_a_run_trained_on_the_labels_is_found_and_takes_a_rename_of_the_label_set(store, tmp_path, capsys):
    from tests.conftest import sentiment_rows
    from tuneboard.cli.main import main
    from tuneboard.labeling import runs_on
    from tuneboard.lifecycle import rename_classes
    from tuneboard.lifecycle.classes import run_classes
    from tuneboard.runs import open_run

    rows = sentiment_rows(60)
    df = pd.DataFrame({"text": [text for text, _ in rows]})
    store.record_many([(i, "1" if label == "positive" else "2") for i, (_, label) in enumerate(rows)],
                      user=ALICE, source="person")
    path = training_table(store, df, "text")
    runs = tmp_path / "runs"
    assert main(["train", str(path), "--model", "tfidf", "--output", str(runs), "--quiet",
                 "--class", "1=refund", "--class", "2=delivery"]) == 0
    found = runs_on(store)
    assert [r.path for r in found] == [Path(capsys.readouterr().out.strip().splitlines()[-1])]
    renamed = store.set_classes([LabelClass("1", "money back"), LabelClass("2", "delivery")], user=ALICE)
    rename_classes(found[0].path, [c.class_name() for c in renamed], user=LOCAL)
    assert [c.name for c in run_classes(open_run(found[0].path))] == ["money back", "delivery"]


def test_a_label_written_by_another_process_is_read_at_once(store, tmp_path):
    import subprocess
    import sys

    store.record(0, "refund", user=ALICE, source="person")
    assert store.current() == {0: "1"}  # read once: this process now keeps the table's view
    code = ("from tuneboard.labeling import LabelStore; from tuneboard.team import LOCAL; "
            f"LabelStore.open('{SHA}').record(1, 'delivery', user=LOCAL, source='llm')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])
    assert store.current() == {0: "1", 1: "2"}
    assert store.sources() == {0: "person", 1: "llm"}
