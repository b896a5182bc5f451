"""Logic-form accuracy (the post's equality), execution accuracy, their mean, per-component accuracies.

Every metric scores only questions that have gold SQL (TableQA's test questions may not): each
per-sample score is {"hit": 0/1, "n": 1}, or {"hit": 0, "n": 0} without gold, aggregated as
sum(hit) / sum(n), so unlabelled questions are skipped rather than counted as wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness_nl2sql.sql import execute, same_result
from harness_nl2sql.values import normalise_value

if TYPE_CHECKING:
    import numpy as np

CITATION = "苏剑林. 基于Bert的NL2SQL模型：一个简明的Baseline. https://kexue.fm/archives/6771 (2019)"


def conn_of(sql: Mapping[str, Any]) -> int:
    """With fewer than two conditions the connective means nothing: it compares as 0."""
    return int(sql.get("cond_conn_op", 0)) if len(sql.get("conds", [])) > 1 else 0


def cond_set(sql: Mapping[str, Any]) -> frozenset:
    return frozenset((int(c), int(o), normalise_value(v)) for c, o, v in sql.get("conds", []))


def sel_set(sql: Mapping[str, Any]) -> frozenset:
    return frozenset(zip((int(c) for c in sql["sel"]), (int(a) for a in sql["agg"]), strict=True))


def logic_form_equal(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """The post's equality: same conn, same set of (sel, agg), same set of conds; order ignored."""
    return conn_of(pred) == conn_of(gold) and sel_set(pred) == sel_set(gold) and cond_set(pred) == cond_set(gold)


def _valid(pred: Any) -> bool:
    return isinstance(pred, Mapping) and all(k in pred for k in ("sel", "agg", "conds"))


def execution_equal(pred: Mapping[str, Any], gold: Mapping[str, Any], table: Mapping[str, Any]) -> bool:
    gold_result = execute(dict(gold), dict(table))
    return not isinstance(gold_result, str) and same_result(execute(dict(pred), dict(table)), gold_result)


class _Nl2sqlMetric(Metric):
    citation = CITATION

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:
            return {"hit": 0.0, "n": 0.0}
        if not _valid(prediction):
            return {"hit": 0.0, "n": 1.0}
        return {"hit": float(self.hit(prediction, reference, input)), "n": 1.0}

    def hit(self, pred: Mapping[str, Any], gold: Mapping[str, Any], input: Mapping[str, Any]) -> float:
        raise NotImplementedError

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        import numpy as np  # on first use: the CLI's listing commands load this module

        n = float(np.sum(stats["n"]))
        return float(np.sum(stats["hit"]) / n) if n else float("nan")


class LogicFormAccuracy(_Nl2sqlMetric):
    name = "nl2sql-logic-form-acc"
    version = "1"
    description = "Share of questions whose predicted SQL equals the gold SQL: same conn, set of (sel, agg), set of conds."

    def hit(self, pred, gold, input):
        return logic_form_equal(pred, gold)


class ExecutionAccuracy(_Nl2sqlMetric):
    name = "nl2sql-execution-acc"
    version = "1"
    description = (
        "Share of questions whose predicted SQL returns the gold SQL's result multiset (numbers within 1e-6), "
        "run in a sandboxed in-memory DuckDB holding only the question's table."
    )

    def hit(self, pred, gold, input):
        return execution_equal(pred, gold, input["table"])


class CompetitionScore(_Nl2sqlMetric):
    name = "nl2sql-score"
    version = "1"
    description = "The TableQA competition score: mean of logic-form accuracy and execution accuracy."

    def hit(self, pred, gold, input):
        lf = logic_form_equal(pred, gold)
        ex = execution_equal(pred, gold, input["table"])
        return (float(lf) + float(ex)) / 2


def _component(name: str, what: str, key):
    class Component(_Nl2sqlMetric):
        description = f"Share of questions with the gold {what}."

        def hit(self, pred, gold, input):
            return key(pred) == key(gold)

    Component.name = name
    Component.__name__ = Component.__qualname__ = "".join(p.title() for p in name.split("-")[1:])
    return Component


COMPONENTS = [
    _component("nl2sql-sel-acc", "set of selected columns", lambda s: frozenset(int(c) for c in s["sel"])),
    _component("nl2sql-agg-acc", "multiset of aggregations (ignoring which column)", lambda s: Counter(int(a) for a in s["agg"])),
    _component("nl2sql-conn-acc", "condition connective (and/or; none below two conditions)", conn_of),
    _component("nl2sql-cond-col-acc", "multiset of condition columns", lambda s: Counter(int(c[0]) for c in s["conds"])),
    _component(
        "nl2sql-cond-op-acc",
        "multiset of (condition column, operator)",
        lambda s: Counter((int(c[0]), int(c[1])) for c in s["conds"]),
    ),
    _component(
        "nl2sql-cond-value-acc",
        "multiset of (condition column, value)",
        lambda s: Counter((int(c[0]), normalise_value(c[2])) for c in s["conds"]),
    ),
]

METRICS = [CompetitionScore, LogicFormAccuracy, ExecutionAccuracy, *COMPONENTS]
