"""Logic-form accuracy (the post's equality), execution accuracy, their mean, per-component accuracies;
BIRD's soft F1 over result cells, and the shares of each way a prediction fails (the error taxonomy).

Every metric scores only questions that have gold SQL (TableQA's test questions may not): each
per-sample score is {"hit": 0/1, "n": 1}, or {"hit": 0, "n": 0} without gold, aggregated as
sum(hit) / sum(n), so unlabelled questions are skipped rather than counted as wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness import Metric
from harness_nl2sql.sql import UNPARSEABLE, UNRENDERABLE, execute, same_result, soft_f1
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
    """A structured query at all: not a text model's answer that did not parse (`sql.unparseable`)."""
    return isinstance(pred, Mapping) and all(k in pred for k in ("sel", "agg", "conds")) and not pred.get(UNPARSEABLE)


def execution_equal(pred: Mapping[str, Any], gold: Mapping[str, Any], table: Mapping[str, Any]) -> bool:
    gold_result = execute(dict(gold), dict(table))
    return not isinstance(gold_result, str) and same_result(execute(dict(pred), dict(table)), gold_result)


OUTCOMES = ("ok", "wrong-result", "exec-error", "unparseable")


def outcome(pred: Any, gold: Mapping[str, Any], table: Mapping[str, Any]) -> str | None:
    """How a prediction fared, one of OUTCOMES: `unparseable` is not a query on this table (missing
    parts, a column, aggregate or operator the table or TableQA does not have, or a text model's
    answer that the grammar refused), `exec-error` is a
    query the sandbox could not run (a type error, the time limit), `wrong-result` ran and returned
    another result than the gold query. None when the gold query itself returns no result to
    compare with (the question is then left out of the shares)."""
    gold_result = execute(dict(gold), dict(table))
    if isinstance(gold_result, str):
        return None
    if not _valid(pred):
        return "unparseable"
    result = execute(dict(pred), dict(table))
    if isinstance(result, str):
        return "unparseable" if result.startswith(UNRENDERABLE) else "exec-error"
    return "ok" if same_result(result, gold_result) else "wrong-result"


class _Nl2sqlMetric(Metric):
    bounds = (0.0, 1.0)
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
        # the arrays' own sum (np.sum's value, without its dispatch): this runs once per bootstrap resample
        n = float(stats["n"].sum())
        return float(stats["hit"].sum() / n) if n else float("nan")


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


class SoftF1(_Nl2sqlMetric):
    name = "nl2sql-soft-f1"
    description = (
        "BIRD's soft F1 between the predicted and gold result cells: duplicate rows dropped, row and column "
        "order ignored, partly right rows earn partial credit; 0 for a query that does not run."
    )
    citation = "Li et al. Can LLM Already Serve as A Database Interface? (BIRD), NeurIPS 2023; mini-dev soft F1"

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
        if reference is None:
            return {"hit": 0.0, "n": 0.0}
        gold_result = execute(dict(reference), dict(input["table"]))
        if isinstance(gold_result, str):
            return {"hit": 0.0, "n": 0.0}  # nothing to compare with
        if not _valid(prediction):
            return {"hit": 0.0, "n": 1.0}
        result = execute(dict(prediction), dict(input["table"]))
        return {"hit": 0.0 if isinstance(result, str) else soft_f1(result, gold_result), "n": 1.0}


def _outcome_share(kind: str, what: str):
    class Share(_Nl2sqlMetric):
        higher_is_better = False
        description = f"Share of questions whose prediction {what} (of those whose gold query runs)."

        def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> Mapping[str, float]:
            found = None if reference is None else outcome(prediction, reference, input["table"])
            return {"hit": float(found == kind), "n": 0.0 if found is None else 1.0}

    Share.name = f"nl2sql-{kind}-rate"
    Share.__name__ = Share.__qualname__ = "".join(p.title() for p in kind.split("-")) + "Rate"
    return Share


ERROR_SHARES = [
    _outcome_share("wrong-result", "runs but returns another result than the gold query"),
    _outcome_share("exec-error", "is a query on the table that the sandbox cannot run (a type error, the time limit)"),
    _outcome_share("unparseable", "is not a query on the table (missing parts, or a column or operator it lacks)"),
]


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

METRICS = [CompetitionScore, LogicFormAccuracy, ExecutionAccuracy, SoftF1, *ERROR_SHARES, *COMPONENTS]
