"""The metrics against hand-computed values on Chinese and mixed Chinese/Latin pairs."""

import math

import numpy as np
import pytest
from harness_titling.metrics import METRICS, Bleu, ExactMatch, FirstFour, LastFour, Rouge1, Rouge2, RougeL, by_title_length

from harness import SampleRecord
from harness.stats import stats_arrays


def f(metric, pred, ref):
    return metric().score({"title": pred}, ref, {})["value"]


@pytest.mark.parametrize(
    ("pred", "ref", "r1", "r2", "rl"),
    [
        ("北京大学", "北京大学生", 8 / 9, 6 / 7, 8 / 9),  # P 1, R 4/5; bigrams 3 of 4
        ("今天上海很好", "上海天气很好", 5 / 6, 2 / 5, 4 / 6),  # LCS 上海很好
        ("北京大学生", "北京大学生", 1.0, 1.0, 1.0),
        ("东南西北", "上下左右", 0.0, 0.0, 0.0),
        ("", "上下左右", 0.0, 0.0, 0.0),
    ],
)
def test_character_rouge_on_pure_chinese(pred, ref, r1, r2, rl):
    assert f(Rouge1, pred, ref) == pytest.approx(r1)
    assert f(Rouge2, pred, ref) == pytest.approx(r2)
    assert f(RougeL, pred, ref) == pytest.approx(rl)


def test_rouge_scores_mixed_text_by_character_where_the_default_tokenizer_fails():
    from rouge_score.rouge_scorer import RougeScorer

    default = RougeScorer(["rouge1"])  # keeps only [a-z0-9] runs
    assert default.score("北京大学生", "北京大学")["rouge1"].fmeasure == 0.0  # pure Chinese: nothing left
    assert default.score("iPhone 15发布", "iPhone 15上市")["rouge1"].fmeasure == 1.0  # spurious
    assert f(Rouge1, "iPhone 15上市", "iPhone 15发布") == pytest.approx(0.8)  # 8 of 10 characters
    assert f(RougeL, "iPhone 15上市", "iPhone 15发布") == pytest.approx(0.8)


def test_bleu_hand_computed_and_equal_to_sacrebleu_corpus_bleu():
    from sacrebleu.metrics import BLEU

    metric = Bleu()
    one = stats_arrays([metric.score({"title": "北京大学"}, "北京大学生", {})])
    assert metric.aggregate(one) == pytest.approx(100 * math.exp(1 - 5 / 4))  # precisions 1, brevity penalty
    assert metric.aggregate(stats_arrays([metric.score("北京大学生", "北京大学生", {})])) == pytest.approx(100.0)
    # Latin words stay whole under tokenize="zh": iPhone 发 布 vs iPhone 上 市, 1 of 3 unigrams
    mixed = metric.score("iPhone上市", "iPhone发布", {})
    assert (mixed["correct1"], mixed["total1"]) == (1.0, 3.0)
    pairs = [
        ("今天上海很好", "上海天气很好"),
        ("北京大学", "北京大学生"),
        ("iPhone 15上市", "iPhone 15发布"),
        ("东南西北", "上下左右"),
    ]
    corpus = metric.aggregate(stats_arrays([metric.score(p, r, {}) for p, r in pairs]))
    expected = BLEU(tokenize="zh").corpus_score([p for p, _ in pairs], [[r for _, r in pairs]]).score
    assert corpus == pytest.approx(expected)
    assert 0 < corpus < 100


def test_position_accuracies_and_exact_match():
    assert f(FirstFour, "《长夜》夺冠：李明", "《长夜》退役：李明") == 1.0
    assert f(LastFour, "《长夜》夺冠：张李明", "《长夜》退役：张李明") == 1.0
    assert f(FirstFour, "《长夜》夺冠：张李明", "《长夜》退役：张李明") == 1.0
    assert f(FirstFour, "长夜》夺冠", "《长夜》夺冠") == 0.0
    assert f(LastFour, "夺冠：李明", "夺冠：李明明") == 0.0
    assert f(FirstFour, "夺冠", "夺冠") == 1.0 and f(LastFour, "夺", "夺冠") == 0.0  # short titles: whole title
    assert f(ExactMatch, "夺冠", "夺冠") == 1.0 and f(ExactMatch, "夺冠！", "夺冠") == 0.0


def test_unlabelled_articles_are_skipped_not_counted_wrong():
    for metric in METRICS:
        m = metric()
        gold = m.score({"title": "北京大学"}, "北京大学", {})
        none = m.score({"title": "北京大学"}, None, {})
        assert none["n"] == 0.0 and gold["n"] == 1.0
        assert m.aggregate(stats_arrays([gold, none])) == pytest.approx(m.aggregate(stats_arrays([gold])))
        assert np.isnan(m.aggregate(stats_arrays([none])))
    assert f(RougeL, None, "北京") == 0.0  # a malformed prediction scores 0, never crashes


def test_scores_by_title_length():
    samples = []
    for i, (ref, pred) in enumerate([("北京大学生活动", "北京大学生活动"), ("上海" * 9, "上海"), ("短标题很短的", "长标题")]):
        scores = {m.name: m().score({"title": pred}, ref, {}) for m in (RougeL, FirstFour, LastFour)}
        samples.append(SampleRecord(str(i), i, {}, {"title": pred}, ref, scores))
    rows = by_title_length(samples)
    short = [r for r in rows if r["title length"] == "0-12" and r["metric"] == "ROUGE-L"]
    assert short[0]["titles"] == 2 and short[0]["score"] == pytest.approx((1 + 4 / 9) / 2)  # LCS 标题: P 2/3, R 2/6
    assert {r["title length"] for r in rows} == {"0-12", "17-20"}


def _synthetic_pairs(n=300):
    """Reference titles of the synthetic test split and a systematically wrong guess for each
    (the lead baseline's prediction and mixed Latin/Chinese edits), so every ROUGE path is hit."""
    from harness_titling.data import load_synthetic

    rows = load_synthetic("test")[:n]
    pairs = [(row["content"].split("，")[0][:20], row["title"]) for row in rows]
    return [*pairs, ("iPhone 15上市", "iPhone 15发布"), ("", "北京"), ("北京 大学", "北京大学"), ("ABC", "abc")]


def test_rouge_equals_rouge_score_with_the_character_tokenizer_on_every_title():
    from harness_titling.metrics import CharTokenizer
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=CharTokenizer())
    metrics = {"rouge1": Rouge1(), "rouge2": Rouge2(), "rougeL": RougeL()}
    for pred, ref in _synthetic_pairs():
        expected = scorer.score(ref, pred)
        for key, metric in metrics.items():
            value = metric.score({"title": pred}, ref, {})["value"]
            assert value == expected[key].fmeasure, (metric.name, pred, ref)  # identical, not approximately


def test_the_harness_rouge_is_the_evaluate_modules_corpus_compute_and_metric_info():
    from harness_titling.metrics import ROUGE_CITATION, ROUGE_DESCRIPTION

    pairs = _synthetic_pairs(120)
    predictions, references = [p for p, _ in pairs], [r for _, r in pairs]
    for metric_cls, key in ((Rouge1, "rouge1"), (Rouge2, "rouge2"), (RougeL, "rougeL")):
        metric = metric_cls()
        stats = stats_arrays([metric.score({"title": p}, r, {}) for p, r in pairs] + [metric.score({"title": "x"}, None, {})])
        corpus = metric.compute(predictions=predictions, references=references)[key]
        assert metric.aggregate(stats) == pytest.approx(corpus, rel=1e-12)
        info = metric.evaluation_module().info
        assert (metric.description, metric.citation) == (info.description, info.citation) == (ROUGE_DESCRIPTION, ROUGE_CITATION)
    # one module computes all three types, per title when asked
    module = RougeL().evaluation_module()
    per_title = module.compute(predictions=predictions[:3], references=references[:3], use_aggregator=False)
    assert set(per_title) == {"rouge1", "rouge2", "rougeL"} and len(per_title["rougeL"]) == 3


def test_listing_the_plugin_imports_neither_evaluate_nor_the_scorers():
    import json
    import subprocess
    import sys

    probe = (
        "import json, runpy, sys\nsys.argv = ['harness', 'tasks', 'titling']\n"
        "try:\n    runpy.run_module('harness', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('evaluate', 'datasets', 'torch', 'rouge_score', 'sacrebleu') "
        "if m in sys.modules)), file=sys.stderr)"
    )
    env = {"PATH": "/usr/bin:/bin", "HARNESS_LOAD_PLUGINS": "", "HARNESS_PLUGINS": "harness_titling", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert "titling-rouge-l" in out.stdout, out.stderr
    assert json.loads(out.stderr.strip().splitlines()[-1]) == []
