"""The Train page's Search: start a study by trial count, watch its trials, the best run marked; Compare
gets the study's runs with the best one badged."""
from __future__ import annotations

from components import nav
from components.search import searches
from tests.app.test_pages import CSV, app
from tuneboard.protocol import RunStatus, TrialStatus
from tuneboard.search.records import load_study


def test_search_from_the_train_page_runs_its_trials_and_marks_the_best(tiny_model):
    at = app()
    at.switch_page(nav.PAGES[nav.DATA].file).run()
    at.file_uploader(key="data_upload").set_value(("reviews.csv", CSV, "text/csv")).run()
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    at.text_input(key="model_source").set_value(tiny_model)
    at.radio(key="preset").set_value("fast").run()
    at.number_input(key="train_search_trials").set_value(2)
    at.button(key="train_search_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    study_id = at.session_state["train_study"]
    record = searches()[study_id].wait(300)
    assert record.status == RunStatus.COMPLETED and len(record.trials) == 2
    assert record.trials[0].params["max_length"] == 64  # the first trial is the chosen preset (fast)
    assert {t.status for t in record.trials} <= {TrialStatus.COMPLETE, TrialStatus.PRUNED}

    at.run()
    table = at.dataframe[-1].value
    assert list(table["Trial"]) == [0, 1]
    best_rows = table[table["Status"].str.contains("★ best")]
    assert len(best_rows) == 1 and best_rows["Run"].iloc[0] in load_study(study_id).best_run_id

    at.button(key="train_search_compare").click().run()
    assert not at.exception
    assert set(at.session_state["compare_pick"]) == {t.run_id for t in record.trials}
    at.switch_page(nav.PAGES[nav.COMPARE].file).run()
    assert not at.exception
    assert set(at.multiselect(key="compare_pick").value) == {t.run_id for t in record.trials}
    runs_column = list(at.dataframe[0].value["Run"])
    assert sum(name.endswith("★") for name in runs_column) == 1
