"""`alias-prior`: max-match over the pruned aliases, then the most frequent training entity of each surface.

A surface never linked in training takes the candidate with the most training links overall, then
the first in KB order (the usual "popularity" back-off); it never predicts NIL.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness import ConfigError, Model
from harness_entity_linking.data import fold, normalise_alias
from harness_entity_linking.matching import Dictionary
from harness_entity_linking.models.common import (
    RECALL_DEPTH,
    candidate_view,
    check_kb,
    generated,
    load_dictionary,
    save_dictionary,
    train_dictionary,
)


def prior_scores(dictionary: Dictionary, surface: str, limit: int) -> list[tuple[str, float]]:
    """Every candidate with its smoothed training prior, ranked by training links then global popularity."""
    seen = dictionary.links.get(normalise_alias(surface), {})
    ids = dictionary.candidates(surface, min_seen=0, limit=10**6)
    ids.sort(key=lambda e: (-seen.get(e, 0), -dictionary.entity_links.get(e, 0)))
    return [(e, dictionary.prior(surface, e)) for e in ids[:limit]]


class AliasPriorModel(Model):
    name = "alias-prior"
    tasks = ("entity-linking",)
    description = "Baseline: dictionary max-match (pruned aliases), then the most frequent training entity per surface."
    defaults = {"prune_ratio": 5.0, "max_candidates": 20}
    batch_size = 256

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        if self.config["prune_ratio"] < 0 or self.config["max_candidates"] < 1:
            raise ConfigError("model 'alias-prior': need prune_ratio >= 0 (0 = no pruning) and max_candidates >= 1")
        self.dictionary: Dictionary | None = None
        self.train_seconds: float | None = None

    def fit(self, train: Any, ctx: Any) -> None:
        started = time.perf_counter()
        self.dictionary, _ = train_dictionary(train, self.config["prune_ratio"], self.name)
        self.train_seconds = time.perf_counter() - started

    def save(self, directory: Path) -> None:
        assert self.dictionary is not None
        save_dictionary(self.dictionary, directory / "dictionary.json")

    def load(self, directory: Path) -> None:
        self.dictionary = load_dictionary(directory / "dictionary.json")

    def predict(self, batch: list[dict[str, Any]], ctx: Any) -> list[dict]:
        return [self.link(item) for item in batch]

    def link(self, item: dict[str, Any]) -> dict:
        dictionary = check_kb(self.dictionary, item, self.name)
        text, limit = item["text"], self.config["max_candidates"]
        mentions = []
        for s, e in dictionary.max_match(fold(text), pruned=True):
            scored = prior_scores(dictionary, text[s:e], limit)
            if scored:
                mentions.append(
                    {
                        "mention": text[s:e],
                        "offset": s,
                        "kb_id": scored[0][0],
                        "score": round(scored[0][1], 4),
                        "candidates": candidate_view(dictionary, scored),
                    }
                )
        gold_links = []
        for mention, offset in item.get("gold_spans") or ():
            ranked = prior_scores(dictionary, mention, max(limit, RECALL_DEPTH))
            scored = ranked[:limit]
            gold_links.append(
                {
                    "mention": mention,
                    "offset": offset,
                    "kb_id": scored[0][0] if scored else "NIL",
                    **generated([e for e, _ in ranked], len(scored)),
                }
            )
        return {"mentions": mentions, "gold_links": gold_links}
