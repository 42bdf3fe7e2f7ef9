"""Plain-words advice from a run's curves and metrics: overfitting, underfitting, ignored classes,
a baseline that wins, too little data. Each tip is one sentence a non-expert can act on."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL, Evaluation, TrainStep, metric_name, parse_events

if TYPE_CHECKING:
    from tuneboard.data.model_choice import Reading

Tip = dict[str, str]  # kind (a stable id the UI branches on), severity, title, advice
BASELINE_TIPS = ("baseline_wins", "baseline_beaten")  # the two verdicts on the TF-IDF baseline
TUNING_TIPS = ("overfitting", "still_improving", "underfitting")  # advice on training the transformer further


def _nice(name: str | None) -> str:
    return metric_name(name)


def coach(history: list[dict[str, Any]], metrics: dict[str, Any], reading: "Reading | None" = None) -> list[Tip]:
    """Tips for one finished run, most important first. Empty when there is nothing to say.

    ``reading`` (``modelchoice.run_reading``): how much of the texts the model's tokenizer knows; when it
    knows too little, the tip is a model that reads the language, not a bigger one."""
    events = parse_events(history)
    evals = [e for e in events if isinstance(e, Evaluation)]
    trains = [e for e in events if isinstance(e, TrainStep)]
    tips = [*_overfitting(evals, trains), *_underfitting(evals, trains, metrics), *_ignored_classes(metrics),
            *_language(metrics, reading), *_baseline(metrics), *_small_data(metrics)]
    order = {"error": 0, "warning": 1, "info": 2, "success": 3}
    return sorted(tips, key=lambda tip: order[tip["severity"]])


def _tip(kind: str, severity: str, title: str, advice: str) -> Tip:
    return {"kind": kind, "severity": severity, "title": title, "advice": advice}


def _overfitting(evals: list[Evaluation], trains: list[TrainStep]) -> list[Tip]:
    losses = [e.eval_loss for e in evals if e.eval_loss is not None]
    if len(losses) < 3:
        return []
    best = min(range(len(losses)), key=losses.__getitem__)
    rising = losses[-1] > losses[best] * 1.1 and best < len(losses) - 1
    falling_train = len(trains) >= 2 and trains[-1].loss < trains[len(trains) // 2].loss
    if rising and falling_train:
        epoch = evals[best].epoch or best + 1
        return [_tip("overfitting", "warning", t("engine.coach.overfitting.title"),
                     t("engine.coach.overfitting.advice", epoch=epoch))]
    return []


def _underfitting(evals: list[Evaluation], trains: list[TrainStep], metrics: dict[str, Any]) -> list[Tip]:
    name = metrics.get("main_metric")
    values = [e.metrics[name] for e in evals if name in e.metrics]
    if len(values) < 2 or not metrics.get("higher_is_better", True):
        return []
    still_improving = values[-1] - values[-2] > 0.01 and values[-1] == max(values)
    if still_improving:
        return [_tip("still_improving", "info", t("engine.coach.still_improving.title"),
                     t("engine.coach.still_improving.advice", metric=_nice(name), before=values[-2],
                       after=values[-1]))]
    if values[-1] < 0.5 and trains and trains[-1].loss > 0.7 * trains[0].loss:
        return [_tip("underfitting", "warning", t("engine.coach.underfitting.title"),
                     t("engine.coach.underfitting.advice"))]
    return []


def _ignored_classes(metrics: dict[str, Any]) -> list[Tip]:
    per = metrics.get("per_class") or {}
    if metrics.get("task") != "single_label" or not per:
        return []
    weak = [name for name, r in per.items() if r["support"] > 0 and r["recall"] < 0.3]
    if not weak:
        return []
    shown = ", ".join(f"'{w}'" for w in weak[:4])
    return [_tip("ignored_classes", "warning", t("engine.coach.ignored.title"),
                 t("engine.coach.ignored.advice_one" if len(weak) == 1 else "engine.coach.ignored.advice_other",
                   classes=shown))]


def _baseline(metrics: dict[str, Any]) -> list[Tip]:
    base = metrics.get("baseline")
    name = metrics.get("main_metric")
    if not base or name not in base or name not in metrics or metrics.get("model_kind") == BASELINE_MODEL:
        return []
    ours, theirs = metrics[name], base[name]
    higher = metrics.get("higher_is_better", True)
    gain = (ours - theirs) if higher else (theirs - ours)
    if gain < -0.005:
        return [
            _tip(
                "baseline_wins",
                "warning",
                t("engine.coach.baseline_wins.title"),
                t("engine.coach.baseline_wins.advice", theirs=theirs, ours=ours, metric=_nice(name)),
            )
        ]
    return [_tip("baseline_beaten", "success", t("engine.coach.baseline_beaten.title"),
                 t("engine.coach.baseline_beaten.advice_points" if higher else "engine.coach.baseline_beaten.advice",
                   gain=abs(gain) * (100 if higher else 1), metric=_nice(name), ours=ours, theirs=theirs))]


def _language(metrics: dict[str, Any], reading: "Reading | None") -> list[Tip]:
    if reading is None or not reading.poor or metrics.get("model_kind") == BASELINE_MODEL:
        return []
    from tuneboard.data.model_choice import hub_suggestions

    models = hub_suggestions(reading.script)
    language = t(f"zhmodel.language.{reading.script}") if models else t("zhmodel.language.other")
    advice = t("zhmodel.coach.language.advice_hub" if models else "zhmodel.coach.language.advice",
               share=reading.unknown_share, language=language, models=models)
    return [_tip("language", "warning", t("zhmodel.coach.language.title"), advice)]


def _small_data(metrics: dict[str, Any]) -> list[Tip]:
    n_val = metrics.get("n_val", 0)
    if 0 < n_val < 30:
        return [_tip("small_validation", "info", t("engine.coach.small_validation.title"),
                     t("engine.coach.small_validation.advice", n=n_val))]
    return []
