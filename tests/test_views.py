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
