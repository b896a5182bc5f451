"""nl2sql and entity-linking put to a served model: the tasks' own text interfaces build the
requests and parse the answers, the tasks' own metrics score them, and a re-run sends nothing."""

from __future__ import annotations

import json

import pytest
from test_openai_chat import KEY, run_args

from harness.store import Store

pytestmark = pytest.mark.slow  # each task's data and metrics load in seconds


def scripted(task, count: int, right: int) -> list[dict]:
    """The server's answers for the first `count` test rows: the gold answer (rendered by the task's
    own interface) for the first `right`, a query outside the grammar for the rest."""
    interface = task.text()
    rows = list(task.load("test"))[:count]
    answers = []
    for i, row in enumerate(rows):
        user = interface.user(task.input(row))
        text = interface.answer(row) if i < right else "SELECT * FROM t; DROP TABLE t"
        answers.append({"match": user, "text": text})
    return answers


def check_secret_and_cache(server, cli, env: dict, task: str, count: int) -> None:
    again = json.loads(cli(*run_args(server, "--limit", str(count), task=task), env_extra=env).stdout)
    assert again["cached"] and server.stats()["chat"] == count
    with open(cli.env["HARNESS_DB"], "rb") as db:
        assert KEY.encode() not in db.read()


def test_nl2sql_on_a_served_model_is_scored_by_execution_and_unparseable_answers_are_counted(server, cli):
    nl2sql = pytest.importorskip("harness_nl2sql.task")
    env = {"HARNESS_LOAD_PLUGINS": "llm,nl2sql", "OPENAI_API_KEY": KEY}
    server.configure(key=KEY, answers=scripted(nl2sql.Nl2sqlTask(), count=6, right=4))
    first = cli(*run_args(server, "--limit", "6", task="nl2sql"), env_extra=env)
    assert first.returncode == 0, first.stderr
    metrics = json.loads(first.stdout)["metrics"]
    assert metrics["nl2sql-execution-acc"]["value"] == pytest.approx(4 / 6)
    assert metrics["nl2sql-logic-form-acc"]["value"] == pytest.approx(4 / 6)
    assert metrics["nl2sql-unparseable-rate"]["value"] == pytest.approx(2 / 6)
    assert server.stats()["chat"] == 6
    check_secret_and_cache(server, cli, env, "nl2sql", 6)


def test_entity_linking_on_a_served_model_links_through_its_own_candidates(server, cli):
    el = pytest.importorskip("harness_entity_linking.task")
    env = {"HARNESS_LOAD_PLUGINS": "llm,entity-linking", "OPENAI_API_KEY": KEY}
    server.configure(key=KEY, answers=scripted(el.EntityLinkingTask(), count=5, right=5))
    first = cli(*run_args(server, "--limit", "5", task="entity-linking"), env_extra=env)
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    metrics = run["metrics"]
    assert metrics["el-unparseable-rate"]["value"] == 0.0
    assert metrics["el-precision"]["value"] == 1.0  # every link given is a gold one
    samples = Store(cli.env["HARNESS_DB"]).samples(run["run_id"])
    assert sum(len(s.prediction["mentions"]) for s in samples) > 0
    check_secret_and_cache(server, cli, env, "entity-linking", 5)
