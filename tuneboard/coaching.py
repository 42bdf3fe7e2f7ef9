"""Plain-words advice from a run's curves and metrics: overfitting, underfitting, ignored classes,
a baseline that wins, too little data. Each tip is one sentence a non-expert can act on."""
from __future__ import annotations

from typing import Any

from .protocol import BASELINE_MODEL, Evaluation, TrainStep, parse_events

Tip = dict[str, str]  # kind (a stable id the UI branches on), severity, title, advice
BASELINE_TIPS = ("baseline_wins", "baseline_beaten")  # the two verdicts on the TF-IDF baseline
NAMES = {"macro_f1": "macro-F1", "micro_f1": "micro-F1", "accuracy": "accuracy", "rmse": "RMSE"}


def _nice(name: str | None) -> str:
    return NAMES.get(name or "", name or "the score")


def coach(history: list[dict[str, Any]], metrics: dict[str, Any]) -> list[Tip]:
    """Tips for one finished run, most important first. Empty when there is nothing to say."""
    events = parse_events(history)
    evals = [e for e in events if isinstance(e, Evaluation)]
    trains = [e for e in events if isinstance(e, TrainStep)]
    tips = [*_overfitting(evals, trains), *_underfitting(evals, trains, metrics), *_ignored_classes(metrics),
            *_baseline(metrics), *_small_data(metrics)]
    order = {"error": 0, "warning": 1, "info": 2, "success": 3}
    return sorted(tips, key=lambda t: order[t["severity"]])


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
        return [_tip("overfitting", "warning", "Overfitting",
                     f"Validation loss rose after epoch {epoch:.0f} while training loss kept falling — the best "
                     "checkpoint was kept; use fewer epochs (the `fast` preset) or add more data.")]
    return []


def _underfitting(evals: list[Evaluation], trains: list[TrainStep], metrics: dict[str, Any]) -> list[Tip]:
    name = metrics.get("main_metric")
    values = [e.metrics[name] for e in evals if name in e.metrics]
    if len(values) < 2 or not metrics.get("higher_is_better", True):
        return []
    still_improving = values[-1] - values[-2] > 0.01 and values[-1] == max(values)
    if still_improving:
        return [_tip("still_improving", "info", "Still improving",
                     f"{_nice(name)} was still rising at the last epoch ({values[-2]:.3f} → {values[-1]:.3f}); "
                     "more epochs (or the `best` preset) will likely help.")]
    if values[-1] < 0.5 and trains and trains[-1].loss > 0.7 * trains[0].loss:
        return [_tip("underfitting", "warning", "Underfitting",
                     "Training loss barely fell; raise the learning rate or the number of epochs, "
                     "or check that the labels match the texts.")]
    return []


def _ignored_classes(metrics: dict[str, Any]) -> list[Tip]:
    per = metrics.get("per_class") or {}
    if metrics.get("task") != "single_label" or not per:
        return []
    weak = [name for name, r in per.items() if r["support"] > 0 and r["recall"] < 0.3]
    if not weak:
        return []
    shown = ", ".join(f"'{w}'" for w in weak[:4])
    return [_tip("ignored_classes", "warning", "Classes the model ignores",
                 f"The model rarely predicts {shown} (recall under 30 %); add examples of "
                 f"{'that class' if len(weak) == 1 else 'those classes'} or merge rare classes.")]


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
                "The simple baseline wins",
                f"TF-IDF + logistic regression scored {theirs:.3f} vs the fine-tuned model's {ours:.3f} {_nice(name)}; "
                "try more epochs or a larger model — or use the baseline: it is instant and tiny.",
            )
        ]
    return [_tip("baseline_beaten", "success", "Better than the baseline",
                 f"The fine-tuned model beat TF-IDF + logistic regression by {abs(gain) * (100 if higher else 1):.1f}"
                 f"{' points' if higher else ''} of {_nice(name)} ({ours:.3f} vs {theirs:.3f}).")]


def _small_data(metrics: dict[str, Any]) -> list[Tip]:
    n_val = metrics.get("n_val", 0)
    if 0 < n_val < 30:
        return [_tip("small_validation", "info", "Small validation set",
                     f"Only {n_val} validation rows: scores can swing by several points between runs; "
                     "label more data or use a separate validation file.")]
    return []
