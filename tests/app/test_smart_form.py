"""The Train form shows the training-depth settings (early stopping, regularisation, class weighting, LoRA) from the
settings table, presets fill them, and what the form holds becomes the run's TrainConfig."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import nav, trainform
from tuneboard.config import PRESETS, TrainConfig
from tuneboard.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = ("early_stopping_patience", "early_stopping_min_delta", "weight_decay", "hidden_dropout",
           "attention_dropout", "lora_rank", "lora_alpha", "lora_dropout")


def test_smart_settings_are_on_the_form_with_the_table_limits_and_follow_the_preset():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    assert not at.exception, at.exception
    for name in NUMBERS:
        box, s = at.number_input(key=f"train_{name}"), SETTINGS[name]
        assert (box.min, box.max, box.step) == (s.low, s.high, s.step), name
        assert box.label == s.label and box.help == s.help
    weighting = at.selectbox(key="train_class_weighting")
    assert weighting.options == list(SETTINGS["class_weighting"].choices) and weighting.value == "auto"
    lora = at.checkbox(key="train_lora")
    assert lora.label == SETTINGS["lora"].label and lora.value is False
    assert at.text_input(key="train_eval_every").value == "epoch"
    at.radio(key="preset").set_value("fast").run()
    assert at.number_input(key="train_early_stopping_patience").value == PRESETS["fast"]["early_stopping_patience"]
    at.radio(key="preset").set_value("best").run()
    assert at.number_input(key="train_early_stopping_patience").value == PRESETS["best"]["early_stopping_patience"]
    at.checkbox(key="train_lora").check().run()
    at.text_input(key="train_eval_every").input("25").run()
    assert not at.exception, at.exception
    values = {name: at.session_state[key] for name, key in trainform.KEYS.items()}
    config = TrainConfig(data="x.csv", **values)   # what Start builds from the form
    assert config.lora is True and config.eval_every == "25"
    assert config.early_stopping_patience == PRESETS["best"]["early_stopping_patience"]


def test_the_metric_chart_marks_where_training_stopped_early_and_why():
    from components import charts
    from tuneboard.protocol import EarlyStop, Evaluation

    events = [Evaluation(is_best=i == 1, metrics={"macro_f1": f, "accuracy": f}, eval_loss=0.5, step=10 * (i + 1),
                         epoch=i + 1.0) for i, f in enumerate((0.6, 0.8, 0.7, 0.75))]
    events.append(EarlyStop(step=40, epoch=4.0, metric="macro_f1", best=0.8, best_step=20,
                            reason="validation macro-F1 did not improve for 2 evaluations"))
    curves = charts.training_curves(events)
    assert curves["stop_step"] == 40 and curves["best_step"] == 20
    notes = {a.text: (a.x, a.hovertext) for a in charts.metric_figure(curves).layout.annotations}
    assert notes["stopped early"] == (40, "validation macro-F1 did not improve for 2 evaluations")
    assert notes["kept"][0] == 20
    assert charts.metric_figure(charts.training_curves(events[:-1])).layout.annotations[0].text == "kept"
