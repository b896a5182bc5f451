"""Alias matching: character offsets for Chinese, max-match over the DAG, the post's pruning rule, candidates."""

from pathlib import Path

from harness_entity_linking.data import NIL, read_kb
from harness_entity_linking.matching import AliasIndex, Dictionary, max_match

FIXTURES = Path(__file__).parent / "fixtures" / "ccks2019"


def test_ahocorasick_offsets_are_character_offsets_for_chinese():
    text = "《红楼梦》和iPhone X，还有南京大学生"
    index = AliasIndex(["红楼梦", "iphone x", "南京", "南京大学", "大学生"])
    found = index.matches(text.lower())
    assert all(text.lower()[s:e] == alias for s, e, alias in found)  # would fail on UTF-8 byte offsets
    assert (1, 4, "红楼梦") in found and (17, 19, "南京") in found and (19, 22, "大学生") in found


def test_max_match_takes_the_best_segmentation_not_the_greedy_one():
    text = "北京大学生活"
    index = AliasIndex(["北京", "北京大学", "大学生", "生活"])
    spans = max_match(len(text), index.matches(text))
    # Greedy leftmost-longest takes 北京大学 then 生活 (6 characters, 2 aliases) and so does the DP here;
    # with 生活 gone the DP prefers 北京 + 大学生 (5 covered) to 北京大学 (4).
    assert spans == [(0, 4), (4, 6)]
    index = AliasIndex(["北京", "北京大学", "大学生"])
    assert max_match(len(text), index.matches(text)) == [(0, 2), (2, 5)]
    # Ties in coverage go to fewer, longer aliases.
    index = AliasIndex(["北京", "大学", "北京大学"])
    assert max_match(4, index.matches("北京大学")) == [(0, 4)]


def _rows(texts):
    return [{"id": str(i), "text": t, "kb": "x", "mentions": m} for i, (t, m) in enumerate(texts)]


def test_pruning_follows_the_posts_ratio():
    kb = read_kb(FIXTURES / "kb_data")
    # 大学 is max-matched in nine texts and annotated in one: (8 + 1) / (1 + 1) = 4.5 < 5 keeps it;
    # with a tenth unannotated text (9 + 1) / 2 = 5 prunes it.
    texts = [("大学", [{"kb_id": "10005", "mention": "大学", "offset": 0}])] + [("好大学", [])] * 8
    assert "大学" not in Dictionary.build(kb, _rows(texts)).pruned
    pruned = Dictionary.build(kb, _rows([*texts, ("大学好", [])]))
    assert "大学" in pruned.pruned and "南京" not in pruned.pruned
    assert pruned.max_match("上大学", pruned=True) == [] and pruned.max_match("上大学", pruned=False) == [(1, 3)]
    assert Dictionary.build(kb, _rows([*texts, ("大学好", [])]), prune_ratio=0).pruned == frozenset()


def test_candidates_follow_the_posts_rule():
    kb = read_kb(FIXTURES / "kb_data")
    once = [("胜利", [{"kb_id": "10002", "mention": "胜利", "offset": 0}])]
    d = Dictionary.build(kb, _rows(once), prune_ratio=0)
    assert d.candidates("胜利") == ["10002", "10001"]  # seen once only: every id with the alias, seen first
    d = Dictionary.build(kb, _rows(once * 2 + [("胜利", [{"kb_id": NIL, "mention": "胜利", "offset": 0}])]), prune_ratio=0)
    assert d.candidates("胜利") == ["10002"]  # seen twice: the training ids only
    assert d.candidates("胜利", min_seen=0) == ["10002", "10001"]
    assert d.candidates("石头记") == ["10006"] and d.candidates("没有") == []
    assert d.prior("胜利", "10002") > d.prior("胜利", "10001")


def test_pruning_counts_are_reused_only_for_the_same_aliases_and_rows():
    """A process remembers the max-match counts of recent training sets; a KB with other aliases
    under the same ref, or rows that differ, must be counted afresh."""
    kb = read_kb(FIXTURES / "kb_data")
    texts = [("好大学", [])] * 5
    first, again = Dictionary.build(kb, _rows(texts)), Dictionary.build(kb, _rows(texts))
    assert "大学" in first.pruned and again.pruned == first.pruned  # (5 + 1) / (0 + 1) >= 5
    fewer = read_kb(FIXTURES / "kb_data", kb.ref)
    fewer.by_alias = {alias: ids for alias, ids in kb.by_alias.items() if alias != "大学"}
    assert fewer.ref == kb.ref and "大学" not in Dictionary.build(fewer, _rows(texts)).pruned  # no alias, no match
    assert "大学" not in Dictionary.build(kb, _rows(texts[:3])).pruned  # (3 + 1) / (0 + 1) < 5
