"""harness.evaluate_metrics: local evaluate.Metric subclasses served as harness metrics.

The toy plugin `toy_plugins.evaluate_toy` scores a spelling task with a module named by import
string (`WordAccuracy`) and a metric script loaded by path (`LengthError`, numpy format).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from toy_plugins import evaluate_toy
from toy_plugins.evaluate_toy import LengthErrorMetric, WordAccuracyMetric

from harness.api import ConfigError, ScoreError
from harness.evaluate_metrics import EvaluateMetric
from harness.store import Store
from harness.testing import run_plugin


@pytest.fixture(scope="module")
def evaluate_installed():
    """Tests that score need Hugging Face evaluate (the root `test` extra); without it they skip
    with the reason, except under CI=true, where a skip would hide the feature: they fail."""
    if importlib.util.find_spec("evaluate") is None:
        message = "Hugging Face evaluate is not installed: pip install 'evaluate>=0.4'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


needs_evaluate = pytest.mark.usefixtures("evaluate_installed")


@pytest.fixture(scope="module")
def spelling(evaluate_installed, tmp_path_factory):
    """One run of the toy spelling task, made once for the module's read-only tests."""
    db = tmp_path_factory.mktemp("evaluate") / "results.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_HOME", str(db.parent / "harness-home"))
        patch.setenv("HARNESS_LOAD_PLUGINS", "")
        patch.setenv("HF_HUB_OFFLINE", "1")
        result = run_plugin(evaluate_toy, "spelling", db)
    return result


def _labelled(samples):
    return [s for s in samples if s.reference is not None]


def test_each_sample_is_scored_by_the_module_itself(spelling):
    for metric_cls in (WordAccuracyMetric, LengthErrorMetric):
        metric = metric_cls()
        for sample in _labelled(spelling.samples):
            columns = metric.inputs(sample.prediction, sample.reference, sample.input)
            alone = metric.compute(**{k: [v] for k, v in columns.items()})[metric.key]
            assert sample.scores[metric.name] == pytest.approx(alone, abs=1e-6), (metric.name, sample.sample_id)
    values = [s.scores["toy-word-accuracy"] for s in _labelled(spelling.samples)]
    assert set(values) == {0.0, 1.0} and 0 < sum(values) < len(values)  # the typist errs on some words only
    unlabelled = next(s for s in spelling.samples if s.reference is None)
    assert unlabelled.scores == {"toy-word-accuracy": None, "toy-length-error": None}


def test_aggregate_equals_the_modules_corpus_compute_with_a_bootstrap_interval(spelling):
    labelled = _labelled(spelling.samples)
    metrics = {m.name: m for m in spelling.run.metrics}
    for metric_cls in (WordAccuracyMetric, LengthErrorMetric):
        metric = metric_cls()
        columns = [metric.inputs(s.prediction, s.reference, s.input) for s in labelled]
        corpus = metric.compute(**{k: [c[k] for c in columns] for k in columns[0]})[metric.key]
        stored = metrics[metric.name]
        assert stored.value == pytest.approx(corpus, abs=1e-6)
        assert stored.ci_low is not None and stored.ci_low < stored.value < stored.ci_high
        assert stored.higher_is_better is metric_cls.higher_is_better
    assert metrics["toy-length-error"].higher_is_better is False


def test_metric_info_is_what_the_harness_stores_and_lists_without_importing_evaluate(spelling):
    from toy_plugins.evaluate_toy_accuracy import WordAccuracy

    info = WordAccuracy(keep_in_memory=True).info
    stored = Store(spelling.db).metric_descriptions(spelling.run.run_id)
    assert stored["toy-word-accuracy"] == info.description
    assert WordAccuracyMetric.citation == info.citation
    assert WordAccuracyMetric.expects == " ".join(info.inputs_description.split())
    assert "\n" not in LengthErrorMetric.expects


LISTING = """
import json, sys
from harness.cli import main
for args in (["tasks", "--json"], ["tasks", "spelling"], ["models", "--json"], ["plugins", "--json"]):
    try:
        main(args)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in ("evaluate", "datasets", "pyarrow", "pandas") if m in sys.modules)), file=sys.stderr)
"""


def test_listing_a_plugin_with_evaluate_metrics_imports_no_evaluate(harness_cli):
    env = {**harness_cli.env, "HARNESS_PLUGINS": "toy_plugins.evaluate_toy"}
    result = subprocess.run([sys.executable, "-c", LISTING], capture_output=True, text=True, env=env, timeout=60)
    assert "spelling" in result.stdout and "toy-word-accuracy" in result.stdout
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("spec", ["rouge", "evaluate-metric/rouge", "bleu@v1"])
def test_hub_names_are_refused_when_the_class_is_defined(spec):
    with pytest.raises(ConfigError) as caught:
        type("HubMetric", (EvaluateMetric,), {"name": "hub-metric", "module": spec, "key": "x", "__module__": __name__})
    message = str(caught.value)
    assert "\n" not in message and f"{spec!r} looks like a Hugging Face hub name" in message
    assert "never loads metrics from the hub" in message and "'package.module:Class'" in message


def test_a_plugin_naming_a_hub_module_fails_to_load_with_one_line(harness_cli):
    from test_errors import one_line_error

    harness_cli.env["HARNESS_PLUGINS"] = "toy_plugins.evaluate_toy,toy_plugins.evaluate_hub"
    listed = harness_cli("tasks")
    warnings = [line for line in listed.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "evaluate module 'rouge' looks like a Hugging Face hub name" in warnings[0]
    assert "spelling" in listed.stdout  # the other plugin still loads
    plugins = {p["name"]: p for p in harness_cli.json("plugins")}
    assert "hub name" in plugins["toy_plugins.evaluate_hub"]["error"]
    one_line_error(harness_cli("run", "--task", "spelling", "--model", "nosuch", check=False), 2, "unknown model")


def test_missing_local_modules_are_refused_when_the_class_is_defined():
    for spec, needle in (
        ("no_such_script.py", "does not exist"),
        ("toy_plugins.no_such_module:Metric", "no module named"),
        ("toy_plugins.evaluate_toy_accuracy:", "not an import string"),
    ):
        with pytest.raises(ConfigError, match=needle):
            type("Missing", (EvaluateMetric,), {"name": "missing", "module": spec, "key": "x", "__module__": __name__})


@needs_evaluate
def test_a_prediction_of_the_wrong_shape_is_a_one_line_score_error(tmp_path):
    failed = run_plugin(evaluate_toy, "spelling", tmp_path / "results.duckdb", model_args={"shape": "number"}).run
    message = failed.error.splitlines()[0]  # what the CLI prints; the stored error goes on with the traceback
    assert failed.status == "failed" and message.startswith(f"{ScoreError.__name__}: ")
    assert "metric 'toy-word-accuracy' cannot score sample 'w00': it expects predictions (list of str)" in message
    assert "prediction 4 (int)" in message and "expects predictions: a string (Value('string'))" in message


@needs_evaluate
def test_a_description_that_is_not_the_modules_metric_info_is_refused():
    class Drifted(WordAccuracyMetric):
        name = "toy-drifted"
        description = "Accuracy (written again by hand, and now different)."

    with pytest.raises(ConfigError, match=r"its description is not evaluate module .*MetricInfo.description"):
        Drifted().score("apple", "Apple", {})


@needs_evaluate
def test_a_module_drawing_random_numbers_must_say_so_and_then_matches_compute():
    from toy_plugins import evaluate_toy_info as info

    fields = {
        "module": "toy_plugins.evaluate_toy_accuracy:JitteredAccuracy",
        "key": "accuracy",
        "description": info.JITTER_DESCRIPTION,
        "citation": info.ACCURACY_CITATION,
        "expects": info.ACCURACY_INPUTS,
        "__module__": __name__,
    }
    unseeded = type("Unseeded", (EvaluateMetric,), {"name": "toy-jitter", **fields})
    np.random.seed(1)
    np.random.random()  # the global generator elsewhere than where the module's seed puts it
    with pytest.raises(ConfigError, match="set `seeded = True`"):
        unseeded().score("apple", "Apple", {})
    seeded = type("Seeded", (EvaluateMetric,), {"name": "toy-jitter", "seeded": True, **fields})()
    pairs = [("apple", "Apple"), ("pear", "Apple"), ("fig", "fig")]
    values = [seeded.score(p, r, {}) for p, r in pairs]
    assert values == [seeded.compute(predictions=[p], references=[r])["accuracy"] for p, r in pairs]
    assert 0 < abs(values[0] - 1.0) < 0.01  # the jitter is there, and seeded as compute() seeds it


def test_the_dashboard_run_page_shows_the_metric_info(spelling, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from test_dashboard import APP

    from harness.plugins.registry import set_registry

    monkeypatch.setenv("HARNESS_PLUGINS", "toy_plugins.evaluate_toy")
    monkeypatch.setenv("HARNESS_DB", str(spelling.db))
    set_registry(None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["page"], at.session_state["run_id"] = "Run detail", spelling.run.run_id
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    descriptions = dict(zip(table["metric"], table["description"], strict=True))
    assert descriptions["toy-word-accuracy (primary)"] == WordAccuracyMetric.description
    assert descriptions["toy-length-error"] == LengthErrorMetric.description
    assert WordAccuracyMetric.citation in [c.value for c in at.code]


@pytest.mark.slow
@needs_evaluate
def test_evaluate_is_imported_without_the_transformers_pipelines_it_never_needs():
    probe = (
        "import json, sys\nfrom harness.evaluate_metrics import import_evaluate\nimport_evaluate()\n"
        "modules = ('evaluate', 'transformers', 'transformers.pipelines', 'scipy.stats', 'torch')\n"
        "print(json.dumps([m in sys.modules for m in modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout) == [True, False, False, False, False], out.stderr  # the block is lifted: no None left behind


@needs_evaluate
def test_a_corpus_metric_pools_the_modules_per_sample_statistics():
    from toy_plugins import evaluate_toy_info as info

    from harness.stats import bootstrap_interval, stats_arrays

    class PooledF1(EvaluateMetric):
        name = "toy-pooled-f1"
        module = "toy_plugins.evaluate_toy_accuracy:PooledCharacterF1"
        compute_kwargs = {"return_counts": True}
        description, citation, expects = info.F1_DESCRIPTION, info.ACCURACY_CITATION, info.F1_INPUTS

        def sample_value(self, result):
            return {k: float(result[k][0]) for k in ("tp", "fp", "fn")}

        def aggregate(self, stats):
            tp, fp, fn = (float(np.sum(stats[k])) for k in ("tp", "fp", "fn"))
            return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    metric = PooledF1()
    pairs = [("apple", "apples"), ("kiwi", "kiwifruit"), ("x", "banana"), ("fig", "fig")]
    stats = stats_arrays([metric.score(p, r, {}) for p, r in pairs])
    module = metric.evaluation_module()
    corpus = module.compute(predictions=[p for p, _ in pairs], references=[r for _, r in pairs])["f1"]
    mean_of_words = np.mean([module.compute(predictions=[p], references=[r])["f1"] for p, r in pairs])
    assert metric.aggregate(stats) == pytest.approx(corpus) and corpus != pytest.approx(mean_of_words)
    assert not metric.is_mean and bootstrap_interval(metric, stats, seed=0).low is not None


def test_a_metric_without_a_key_is_refused_when_defined():
    with pytest.raises(ConfigError, match="set `key`"):
        type(
            "NoKey",
            (EvaluateMetric,),
            {"name": "no-key", "module": "toy_plugins.evaluate_toy_accuracy:WordAccuracy", "__module__": __name__},
        )
