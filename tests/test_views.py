"""The panel helpers renderers share."""

from __future__ import annotations

from harness import MetricValue, views


def test_metric_bars_draw_each_valued_metric_with_its_interval_in_order():
    metrics = [
        MetricValue("t-f1", 0.8, 0.7, 0.9, True, True),
        MetricValue("t-skipped", None, None, None, True, False),
        MetricValue("t-recall", 0.5, None, None, True, False),
    ]
    panel = views.metric_bars(metrics, "Scores", strip_prefix="t-", axis="score")
    assert panel is not None and panel.kind == "chart" and panel.title == "Scores" and "95%" in panel.caption
    assert panel.data["data"]["values"] == [
        {"metric": "f1", "value": 0.8, "low": 0.7, "high": 0.9},
        {"metric": "recall", "value": 0.5, "low": None, "high": None},
    ]
    bars, interval = panel.data["layer"]
    assert bars["mark"] == "bar" and bars["encoding"]["x"]["title"] == "score"
    assert bars["encoding"]["x"]["scale"] == {"domain": [0, 1]}
    assert interval["mark"] == "rule" and interval["encoding"]["x2"] == {"field": "high"}
    assert views.metric_bars(metrics[1:2]) is None


def test_values_that_span_decades_get_a_log_axis_and_tiny_ones_scientific_labels():
    # random-angles: exact methods at 1e-16, Monte Carlo at 0.2 -- a linear axis draws the first at 0
    assert views.value_axis([1e-16, 3e-15, 0.2]) == {"scale": {"type": "log"}, "axis": {"format": ".0e"}}
    with_zero = views.value_axis([0.0, 1e-16, 0.2])  # a log axis has no 0: a symmetric log one does
    assert with_zero["scale"] == {"type": "symlog", "constant": 1e-16}
    assert views.value_axis([1.2e-16, 3.4e-16]) == {"axis": {"format": ".2~e"}}  # never 0.0000000000000000
    assert views.value_axis([0.5, 0.75, None, float("nan")]) == {} and views.value_axis([0.0, None]) == {}
    bars = views.metric_bars(
        [MetricValue("err", 1e-15, 1e-16, 1e-14, False, True), MetricValue("mc", 0.2, 0.1, 0.3, False, False)]
    )
    assert bars is not None and bars.data["layer"][0]["encoding"]["x"]["scale"] == {"type": "log"}


def test_the_leaderboard_chart_uses_the_same_axis():
    from harness.dashboard.draw import score_chart

    rows = [
        {"label": "exact", "value": 1e-16, "ci_low": 1e-16, "ci_high": 1e-16},
        {"label": "mc", "value": 0.2, "ci_low": 0.1, "ci_high": 0.3},
    ]
    x = score_chart(rows, "angle-error", False)["layer"][0]["encoding"]["x"]
    assert x["scale"] == {"type": "log"} and x["axis"] == {"format": ".0e"}
    plain = score_chart([{**r, "value": 0.5, "ci_low": 0.4, "ci_high": 0.6} for r in rows], "acc", True)
    assert plain["layer"][0]["encoding"]["x"]["scale"] == {"zero": False}
