"""The text interface: a prompt built from the plugin's own mention and candidate generator, and a
model's JSON answer validated into the task's prediction -- malformed answers are `unparseable` and
counted, links outside the offer are dropped with the reason, nothing ever raises."""

import json
import sys

import harness_entity_linking
import pytest
from harness_entity_linking.data import SPLITS, load_synthetic, model_input
from harness_entity_linking.metrics import METRICS
from harness_entity_linking.task import EntityLinkingTask
from harness_entity_linking.text import EntityLinkingText, offered
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import Model, hookimpl
from harness.testing import render_sample, run_plugin
from harness.text import choose_shots

TEXT = EntityLinkingText()


@pytest.fixture(scope="module")
def row():
    """去石沙看景区。晏强静是一位厨师，食材和早餐都很出色，泰江位于东北，以转会闻名……"""
    found = next(r for r in load_synthetic("test") if r["id"] == "test-00027")
    assert offered(found) == {("石沙", 1): ["10004"], ("泰江", 26): ["10523", "10524", "10525"]}
    return found


def test_embedded_gold_answers_read_back_as_the_gold_links_the_prompt_can_express():
    expressed = total = 0
    for split in SPLITS:
        for r in load_synthetic(split)[:1000]:  # 3,000 texts: ~0.5 ms each to offer mentions
            offers = offered(r)
            expressible = [
                m
                for m in sorted(r["mentions"], key=lambda m: (m["offset"], m["mention"]))
                if (m["mention"], m["offset"]) in offers and m["kb_id"] in ("NIL", *offers[(m["mention"], m["offset"])])
            ]
            assert TEXT.parse(TEXT.answer(r), TEXT.input_of(r)) == {"mentions": expressible}, r["id"]
            expressed, total = expressed + len(expressible), total + len(r["mentions"])
    assert expressed / total > 0.95  # the dictionary of KB aliases offers nearly every gold span and entity


def test_the_prompt_offers_each_mention_with_its_candidates_and_never_reveals_the_gold(row):
    user = TEXT.user(TEXT.input_of(row))
    assert user.startswith("Text: " + row["text"])
    assert '1. "石沙" at offset 1:' in user and '2. "泰江" at offset 26:' in user
    assert "   - 10524: 泰江（" in user and user.count("\n   - ") == 4
    assert "晏强静" not in user.split("\n", 1)[1]  # a NIL mention the dictionary does not know is not offered
    assert user == TEXT.user(model_input({**row, "mentions": []}))  # nothing of the gold reaches it
    shots = choose_shots(load_synthetic("train"), 2, seed=1)
    messages = TEXT.messages(TEXT.input_of(row), shots)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert json.loads(messages[2]["content"])  # a shot's answer is the JSON asked for


STONE = {"mention": "石沙", "offset": 1, "kb_id": "10004"}
TAI = {"mention": "泰江", "offset": 26, "kb_id": "10524"}
GOOD = json.dumps([STONE, TAI], ensure_ascii=False)

# completion -> (the links kept, how many rejected), or None for `unparseable`
CASES = [
    (GOOD, ([STONE, TAI], 0)),
    ("```json\n" + GOOD + "\n```", ([STONE, TAI], 0)),
    ("The links are:\n```\n" + GOOD + "\n```\nThat's all.", ([STONE, TAI], 0)),
    (json.dumps({"mentions": [STONE]}, ensure_ascii=False), ([STONE], 0)),
    ("[]", ([], 0)),
    ('[{"mention": "泰江", "offset": 26, "kb_id": "NIL"}]', ([{**TAI, "kb_id": "NIL"}], 0)),
    ('[{"mention": "石沙", "offset": 1, "kb_id": "10523"}, ' + json.dumps(TAI, ensure_ascii=False) + "]", ([TAI], 1)),
    ('[{"mention": "石沙", "offset": 2, "kb_id": "10004"}]', ([], 1)),  # unknown offset
    ('[{"mention": "晏强静", "offset": 7, "kb_id": "NIL"}]', ([], 1)),  # a span that was not offered
    ("[" + json.dumps(STONE, ensure_ascii=False) + ", " + json.dumps(STONE, ensure_ascii=False) + "]", ([STONE], 1)),
    ('[{"mention": "石沙", "offset": 1, "kb_id": "10004\\"); DROP TABLE kb; --"}]', ([], 1)),
    ('[{"mention": "石沙", "offset": "1", "kb_id": "10004"}]', None),  # wrong types
    ('[{"mention": "石沙", "offset": 1, "kb_id": 10004}]', None),
    ('[{"mention": "石沙", "offset": true, "kb_id": "10004"}]', None),
    ('[{"mention": "石沙", "offset": 1.0, "kb_id": "10004"}]', None),
    ('[{"mention": "石沙", "offset": -1, "kb_id": "10004"}]', None),
    ('[{"mention": "石沙", "kb_id": "10004"}]', None),
    ('["石沙"]', None),
    ('{"links": []}', None),
    ("石沙 -> 10004", None),
    ('[{"mention": "石沙", "offset": 1, "kb_id": "10004"}', None),  # cut off
    ("NaN", None),
    ("", None),
    ("[" * 100_000, None),
]


@pytest.mark.parametrize(("completion", "expected"), CASES, ids=range(len(CASES)))
def test_hand_written_answers_are_validated(row, completion, expected):
    prediction = TEXT.parse(completion, TEXT.input_of(row))
    if expected is None:
        assert prediction["mentions"] == [] and prediction["unparseable"], prediction
    else:
        kept, rejected = expected
        assert prediction["mentions"] == kept and len(prediction.get("rejected", [])) == rejected, prediction
        assert "unparseable" not in prediction


def test_reasons_name_the_link_and_the_fault(row):
    inp = TEXT.input_of(row)
    assert TEXT.parse('[{"mention": "石沙", "offset": 1, "kb_id": "10523"}]', inp)["rejected"] == [
        "link 0: '10523' is not a candidate of '石沙'"
    ]
    assert TEXT.parse('[{"mention": "石沙", "offset": "1", "kb_id": "1"}]', inp)["unparseable"] == (
        "link 0: 'offset' must be an integer, not str"
    )
    assert TEXT.parse("oops", inp)["unparseable"].startswith("not JSON")


PIECES = '[ ] { } , : " mention offset kb_id 石沙 泰江 1 26 10004 NIL null true -1 1.5 ``` ```json\n \n'.split(" ")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text() | st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_parse_never_raises_and_keeps_only_offered_links(row, completion):
    inp = TEXT.input_of(row)
    offers = offered(inp)
    prediction = TEXT.parse(completion, inp)
    for m in prediction["mentions"]:
        assert m["kb_id"] in ("NIL", *offers[(m["mention"], m["offset"])])


def test_the_metrics_count_an_unparseable_answer(row):
    bad = TEXT.parse("no idea", TEXT.input_of(row))
    good = TEXT.parse(GOOD, TEXT.input_of(row))
    scores = {m.name: m().score(bad, row["mentions"], TEXT.input_of(row)) for m in METRICS}
    assert scores["el-unparseable-rate"] == {"hit": 1.0, "n": 1.0}
    assert scores["el-f1"] == {"tp": 0.0, "fp": 0.0, "fn": 2.0}  # both gold links missed
    assert scores["el-link-acc"] is None  # a text model links no gold spans: the diagnostic does not apply
    assert {m.name: m().score(good, row["mentions"], {}) for m in METRICS}["el-f1"] == {"tp": 1.0, "fp": 1.0, "fn": 1.0}
    assert {m.name: m().score(good, row["mentions"], {}) for m in METRICS}["el-unparseable-rate"] == {"hit": 0.0, "n": 1.0}


class CannedText(Model):
    """A text model that gives every sample the same completion (through the task's interface)."""

    name = "canned-text"
    tasks = ("entity-linking",)
    description = "test: one fixed completion for every sample"
    defaults = {"completion": ""}

    def predict(self, batch, ctx):
        interface = EntityLinkingTask.text()
        return [interface.parse(self.config["completion"], item) for item in batch]


@hookimpl
def register_models(register):
    register(CannedText)


def test_a_run_of_unparseable_answers_finishes_and_is_counted(tmp_path):
    plugins = [harness_entity_linking, sys.modules[__name__]]
    result = run_plugin(
        plugins, "entity-linking", db=tmp_path / "r.duckdb", model="canned-text", model_args={"completion": "{"}, limit=4
    )
    run = result.run
    assert run.status == "finished", run.error
    values = {m.name: m.value for m in run.metrics}
    assert values["el-unparseable-rate"] == 1.0 and values["el-recall"] == 0.0
    assert values["el-link-acc"] is None  # no gold_links anywhere: the diagnostic has no value, not 0
    assert "the answer was unparseable: not JSON" in repr(render_sample(plugins, result, result.samples[0]))
