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
    """Equal figures, up to the revision (which only tells Plotly whether data changed)."""
    ja, jb = a.to_plotly_json(), b.to_plotly_json()
    ja["layout"].pop("datarevision", None), jb["layout"].pop("datarevision", None)
    return ja == jb


def test_new_train_points_update_the_kept_figures_in_place():
    live = charts.LiveCharts(slow_every=5.0)
    loss, metric, lr = live.figures(charts.training_curves(_events(10, [(5, 1.0, 0.6)])), now=100.0)
    revisions = [f.layout.datarevision for f in (loss, metric, lr)]
    curves = charts.training_curves(_events(12, [(5, 1.0, 0.6)]))
    loss2, metric2, lr2 = live.figures(curves, now=101.0)
    assert loss2 is loss and metric2 is metric and lr2 is lr  # kept, not rebuilt
    assert list(loss2.data[0].x)[-1] == 12
    # the browser redraws only what changed: the loss line now, the learning rate when it is due
    assert loss2.layout.datarevision > revisions[0]
    assert [metric2.layout.datarevision, lr2.layout.datarevision] == revisions[1:]
    assert list(lr2.data[0].x)[-1] == 10
    lr3 = live.figures(curves, now=106.0)[2]
    assert lr3.layout.datarevision > revisions[2] and list(lr3.data[0].y)[-1] == curves["lr"][-1]
    # ... and the kept figures equal what a fresh build draws
    for kept, fresh in zip(live.figures(curves, now=106.0), charts.LiveCharts().figures(curves), strict=False):
        assert _same(kept, fresh)


def test_nothing_new_keeps_the_revisions():
    live = charts.LiveCharts()
    curves = charts.training_curves(_events(8, [(4, 1.0, 0.5)]))
    first = [f.layout.datarevision for f in live.figures(curves, now=1.0)]
    assert [f.layout.datarevision for f in live.figures(curves, now=50.0)] == first


def test_a_finished_run_shows_every_line_up_to_date():
    live = charts.LiveCharts(slow_every=60.0)
    live.figures(charts.training_curves(_events(10, [])), now=0.0)
    curves = charts.training_curves(_events(20, [(20, 0.8, 0.7)]))
    _, _, lr = live.figures(curves, live=False, now=1.0)
    assert list(lr.data[0].x)[-1] == 20


def test_an_evaluation_rebuilds_loss_and_metric_figures():
    live = charts.LiveCharts()
    loss, metric, lr = live.figures(charts.training_curves(_events(10, [])))
    assert len(loss.data) == 1  # no validation loss yet
    curves = charts.training_curves(_events(10, [(10, 0.9, 0.7)]))
    loss2, metric2, lr2 = live.figures(curves)
    assert loss2 is not loss and metric2 is not metric and lr2 is lr
    assert loss2.layout.datarevision != loss.layout.datarevision  # a rebuilt figure never reuses a revision
    assert [t.name for t in loss2.data] == ["Train loss", "Validation loss"]
    assert list(metric2.data[0].y) == [0.7]


def test_long_runs_stay_bounded():
    live = charts.LiveCharts()
    loss, _, lr = live.figures(charts.training_curves(_events(5000, [(2500, 0.5, 0.8)])))
    assert len(loss.data[0].x) <= charts.MAX_POINTS and len(lr.data[0].x) <= charts.MAX_POINTS
    assert list(loss.data[0].x)[-1] == 5000


def test_a_label_that_is_html_is_drawn_as_text_by_every_chart():
    from components import charts, evalcharts

    hostile = '<a href="http://evil.example/">Admin</a>'
    figures = [charts.confusion_figure([hostile, "ok"], [[1, 0], [0, 1]]),
               evalcharts.clickable_confusion_figure([hostile, "ok"], [[1, 0], [0, 1]]),
               charts.class_balance_figure({hostile: 3, "ok": 4}),
               charts.probability_figure({hostile: 0.7, "ok": 0.3})]
    for fig in figures:
        drawn = [str(v) for trace in fig.data for attr in ("x", "y", "name") for v in (trace[attr] or [])]
        assert not any("<a" in v for v in drawn), drawn
        assert any("&lt;a href" in v for v in drawn)
