"""The titling task posed as text: the article is the request, the completion's first line the title."""

from __future__ import annotations

import pytest
from harness_titling.task import TitlingTask

from harness.text import choose_shots


@pytest.fixture(scope="module")
def text():
    assert TitlingTask.text is not None
    return TitlingTask.text()


@pytest.mark.parametrize(
    ("completion", "title"),
    [
        ("新能源汽车销量创新高\n以上是标题。", "新能源汽车销量创新高"),
        ("\n\n  标题：《央行宣布降准》  \n解释", "央行宣布降准"),
        ("“球队逆转夺冠”", "球队逆转夺冠"),
        ("", ""),
        ("   \n \n", ""),
    ],
)
def test_the_first_line_without_label_or_quotes_is_the_title(text, completion, title):
    assert text.parse(completion, {"content": "..."}) == {"title": title}


def test_a_request_is_the_article_with_train_rows_as_examples(text):
    task = TitlingTask()
    row = task.load("test")[0]
    shots = choose_shots(task.load("train"), 2, seed=0)
    messages = text.messages(task.input(row), shots)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[-1]["content"] == row["content"]
    assert all(m["content"] != row["title"] for m in messages)  # the reference is never sent
    assert messages[2]["content"] == shots[0]["title"] and messages[1]["content"] == shots[0]["content"]
