"""The live panel's figures: kept across refreshes, updated in place, rebuilt when their shape changes."""
from __future__ import annotations

from components import charts


def _events(n_train: int, evals: list[tuple[int, float, float]]) -> list[dict]:
    out = [{"type": "train", "step": s, "loss": 2.0 / s, "learning_rate": 1e-4 * (1 - s / 1000)}
           for s in range(1, n_train + 1)]
    out += [{"type": "eval", "step": s, "eval_loss": loss, "macro_f1": f1, "accuracy": f1, "is_best": True}
            for s, loss, f1 in evals]
    return out


def _same(a, b) -> bool:
    return a.to_plotly_json() == b.to_plotly_json()


def test_new_train_points_update_the_kept_figures_in_place():
    live = charts.LiveCharts()
    loss, metric, lr = live.figures(charts.training_curves(_events(10, [(5, 1.0, 0.6)])))
    curves = charts.training_curves(_events(12, [(5, 1.0, 0.6)]))
    loss2, metric2, lr2 = live.figures(curves)
    assert loss2 is loss and metric2 is metric and lr2 is lr  # kept, not rebuilt
    assert list(loss2.data[0].x)[-1] == 12 and list(lr2.data[0].y)[-1] == curves["lr"][-1]
    # ... and the kept figures equal what a fresh build draws
    for kept, fresh in zip((loss2, metric2, lr2), charts.LiveCharts().figures(curves)):
        assert _same(kept, fresh)


def test_an_evaluation_rebuilds_loss_and_metric_figures():
    live = charts.LiveCharts()
    loss, metric, lr = live.figures(charts.training_curves(_events(10, [])))
    assert len(loss.data) == 1  # no validation loss yet
    curves = charts.training_curves(_events(10, [(10, 0.9, 0.7)]))
    loss2, metric2, lr2 = live.figures(curves)
    assert loss2 is not loss and metric2 is not metric and lr2 is lr
    assert [t.name for t in loss2.data] == ["Train loss", "Validation loss"]
    assert list(metric2.data[0].y) == [0.7]


def test_long_runs_stay_bounded():
    live = charts.LiveCharts()
    loss, _, lr = live.figures(charts.training_curves(_events(5000, [(2500, 0.5, 0.8)])))
    assert len(loss.data[0].x) <= charts.MAX_POINTS and len(lr.data[0].x) <= charts.MAX_POINTS
    assert list(loss.data[0].x)[-1] == 5000
