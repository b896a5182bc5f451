"""Dictionary matching over KB aliases: every match, the max-match segmentation, alias pruning, candidates.

Matching runs on `fold(text)`, which keeps the length, so a match's offsets are offsets in the
original text and the mention is the original substring (full-width Ｘ7 matches the alias x7 and
is reported as Ｘ7). All matches come from one ahocorasick-rs automaton (its indexes are character
offsets for str input, checked in tests/test_matching.py).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness_entity_linking.data import NIL, KnowledgeBase, fold, normalise_alias

Span = tuple[int, int]  # [start, end) in characters

#: The pruning counts of recent training sets, by alias index and rows: max-matching every
#: training text is most of a dictionary's build (about a second for the embedded train split), and
#: a process that trains several models or configurations on one split (a sweep, a test session)
#: builds the same dictionary each time.
_STATISTICS: dict[str, tuple[Counter, Counter]] = {}
_STATISTICS_KEPT = 4


def _content_key(aliases: Sequence[str], rows: Sequence[dict]) -> str:
    """A digest of all the pruning counts depend on: the index's aliases, the rows' texts and mentions."""
    digest = hashlib.sha256(repr(list(aliases)).encode())
    for row in rows:  # repr: exact for the str and int fields of texts and mentions, and cheap
        digest.update(repr((row["text"], row.get("mentions") or [])).encode())
    return digest.hexdigest()


class AliasIndex:
    """All occurrences of a set of aliases in a text, overlapping ones included."""

    def __init__(self, aliases: Iterable[str]) -> None:
        import ahocorasick_rs

        self.aliases = sorted({a for a in aliases if a})
        self._ac = ahocorasick_rs.AhoCorasick(self.aliases, matchkind=ahocorasick_rs.MatchKind.Standard)

    def __len__(self) -> int:
        return len(self.aliases)

    def matches(self, folded: str) -> list[tuple[int, int, str]]:
        """`(start, end, alias)` for every occurrence in an already folded text, by start then end."""
        found = self._ac.find_matches_as_indexes(folded, overlapping=True)
        return sorted((s, e, self.aliases[i]) for i, s, e in found)


def max_match(n: int, matches: Sequence[tuple[int, int, str]]) -> list[Span]:
    """The best segmentation over the match DAG: the most characters covered by aliases, then the
    fewest aliases (longer ones), then the earliest. Dynamic programming from the right, so
    北京大学生 with 北京大学, 北京, 大学生 gives 北京 + 大学生 (5 covered) where greedy leftmost-longest
    gives 北京大学 (4)."""
    starting: dict[int, list[int]] = defaultdict(list)
    for s, e, _ in matches:
        starting[s].append(e)
    best: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (covered, -aliases) from position i on
    choice: list[int] = [0] * (n + 1)  # the end of the alias taken at i, or 0 to skip the character
    for i in range(n - 1, -1, -1):
        best[i], choice[i] = best[i + 1], 0
        for e in sorted(starting.get(i, ()), reverse=True):
            covered, neg = best[e]
            option = (covered + e - i, neg - 1)
            if option > best[i]:
                best[i], choice[i] = option, e
    spans, i = [], 0
    while i < n:
        if choice[i]:
            spans.append((i, choice[i]))
            i = choice[i]
        else:
            i += 1
    return spans


@dataclass
class Dictionary:
    """What a linker learns from the KB and the training texts: the alias index, the aliases kept after
    pruning, and how often each surface was linked to each entity in training."""

    kb: KnowledgeBase
    index: AliasIndex
    pruned: frozenset[str] = frozenset()
    links: dict[str, Counter] = field(default_factory=dict)  # surface -> Counter(kb_id)
    entity_links: Counter = field(default_factory=Counter)  # kb_id -> training links

    @classmethod
    def build(cls, kb: KnowledgeBase, train: Sequence[dict] = (), prune_ratio: float = 5.0) -> Dictionary:
        """The KB's aliases plus the surfaces of training links (the KB misses some), then the post's
        pruning: drop an alias when (max-matched but not gold + 1) / (gold + 1) >= prune_ratio."""
        links: dict[str, Counter] = defaultdict(Counter)
        entity_links: Counter = Counter()
        for row in train:
            for m in row.get("mentions") or ():
                if m["kb_id"] != NIL:
                    links[normalise_alias(m["mention"])][m["kb_id"]] += 1
                    entity_links[m["kb_id"]] += 1
        index = AliasIndex([*kb.by_alias, *links])
        dictionary = cls(kb, index, frozenset(), dict(links), entity_links)
        if prune_ratio > 0 and train:
            key = _content_key(index.aliases, train)
            if key not in _STATISTICS:
                while len(_STATISTICS) >= _STATISTICS_KEPT:
                    del _STATISTICS[next(iter(_STATISTICS))]
                _STATISTICS[key] = dictionary.match_statistics(train)
            gold, spurious = _STATISTICS[key]
            dictionary.pruned = frozenset(a for a in spurious if (spurious[a] + 1) / (gold[a] + 1) >= prune_ratio)
        return dictionary

    def match_statistics(self, rows: Iterable[dict], pruned: bool = False) -> tuple[Counter, Counter]:
        """Per alias, as the author's code counts them: the texts where it is a gold (non-NIL) mention's
        surface, and the texts where max-match finds it but no gold mention has that surface."""
        gold, spurious = Counter(), Counter()
        for row in rows:
            folded = fold(row["text"])
            annotated = {normalise_alias(m["mention"]) for m in row.get("mentions") or () if m["kb_id"] != NIL}
            found = {folded[s:e] for s, e in self.max_match(folded, pruned=pruned)}
            gold.update(annotated)
            spurious.update(found - annotated)
        return gold, spurious

    def matches(self, folded: str, pruned: bool = False) -> list[tuple[int, int, str]]:
        found = self.index.matches(folded)
        return [m for m in found if m[2] not in self.pruned] if pruned else found

    def max_match(self, folded: str, pruned: bool = True) -> list[Span]:
        return max_match(len(folded), self.matches(folded, pruned=pruned))

    def candidates(self, surface: str, min_seen: int = 2, limit: int = 20) -> list[str]:
        """The post's rule: the ids linked to this surface at least `min_seen` times in training, else every
        id carrying the alias in the KB; most-linked first, then KB order."""
        alias = normalise_alias(surface)
        seen = self.links.get(alias, Counter())
        frequent = [e for e, n in seen.most_common() if n >= min_seen] if min_seen > 0 else []
        if frequent:
            return frequent[:limit]
        ids = list(dict.fromkeys([*self.kb.by_alias.get(alias, ()), *seen]))
        ids.sort(key=lambda e: -seen.get(e, 0))
        return ids[:limit]

    def prior(self, surface: str, kb_id: str) -> float:
        """P(kb_id | surface) in training, add-one smoothed over the surface's KB ids."""
        alias = normalise_alias(surface)
        seen = self.links.get(alias, Counter())
        n_ids = max(1, len(set(self.kb.by_alias.get(alias, ())) | set(seen)))
        return (seen.get(kb_id, 0) + 1) / (sum(seen.values()) + n_ids)


def span_recall_precision(dictionary: Dictionary, rows: Sequence[dict], pruned: bool) -> tuple[float, float]:
    """Max-match recall and precision of gold mention spans (every gold mention, NIL included, as the post)."""
    hit = n_pred = n_gold = 0
    for row in rows:
        gold_spans = {(m["offset"], m["offset"] + len(m["mention"])) for m in row.get("mentions") or ()}
        spans = set(dictionary.max_match(fold(row["text"]), pruned=pruned))
        hit += len(spans & gold_spans)
        n_pred += len(spans)
        n_gold += len(gold_spans)
    return (hit / n_gold if n_gold else float("nan")), (hit / n_pred if n_pred else float("nan"))
