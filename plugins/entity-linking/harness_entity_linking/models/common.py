"""What both models share: the trained dictionary on disk, and the prediction format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from harness import DataError
from harness_entity_linking.data import kb_for
from harness_entity_linking.matching import Dictionary

DESCRIPTION_SHOWN = 80  # characters of each candidate's description kept in a prediction (for the dashboard)
CANDIDATES_SHOWN = 5
RECALL_DEPTH = 30  # how many generated candidates a gold link lists: candidate recall is reported at k = 1, 5, 30


def generated(ranked: list[str], considered: int) -> dict[str, Any]:
    """What the candidate generator offered for a gold mention, for the candidate-recall and
    normalised-accuracy diagnostics: its ranking (the first RECALL_DEPTH, or all the linker scored)
    and how many of them the linker scored."""
    return {"candidates": ranked[: max(RECALL_DEPTH, considered)], "considered": considered}


def train_dictionary(train: Any, prune_ratio: float, name: str) -> tuple[Dictionary, list[dict]]:
    rows = [dict(r) for r in train if r.get("mentions") is not None]
    if not rows:
        raise DataError(f"model {name!r}: the train split has no annotated texts")
    refs = {r["kb"] for r in rows}
    if len(refs) != 1:
        raise DataError(f"model {name!r}: the train split mixes knowledge bases ({', '.join(sorted(refs))})")
    return Dictionary.build(kb_for(refs.pop()), rows, prune_ratio=prune_ratio), rows


def save_dictionary(dictionary: Dictionary, path: Path) -> None:
    data = {
        "kb": dictionary.kb.ref,
        "pruned": sorted(dictionary.pruned),
        "links": {a: dict(c) for a, c in dictionary.links.items()},
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_dictionary(path: Path) -> Dictionary:
    data = json.loads(path.read_text(encoding="utf-8"))
    kb = kb_for(data["kb"])
    links = {a: Counter(c) for a, c in data["links"].items()}
    entity_links: Counter = Counter()
    for c in links.values():
        entity_links.update(c)
    dictionary = Dictionary.build(kb, (), prune_ratio=0)
    from harness_entity_linking.matching import AliasIndex

    dictionary.index = AliasIndex([*kb.by_alias, *links])
    dictionary.links, dictionary.entity_links, dictionary.pruned = links, entity_links, frozenset(data["pruned"])
    return dictionary


def check_kb(dictionary: Dictionary | None, item: dict, name: str) -> Dictionary:
    if dictionary is None:
        raise RuntimeError(f"model {name!r} has not been trained or loaded")
    if item["kb"] != dictionary.kb.ref:
        raise DataError(
            f"model {name!r} was trained with knowledge base {dictionary.kb.ref!r} but text "
            f"{item['text_id']!r} refers to {item['kb']!r}"
        )
    return dictionary


def candidate_view(dictionary: Dictionary, scored: list[tuple[str, float]]) -> list[dict]:
    """The top candidates with scores, names and (shortened) descriptions, best first."""
    out = []
    for kb_id, score in sorted(scored, key=lambda p: -p[1])[:CANDIDATES_SHOWN]:
        entity = dictionary.kb.entities.get(kb_id)
        out.append(
            {
                "kb_id": kb_id,
                "score": round(float(score), 4),
                "subject": entity.subject if entity else "",
                "description": entity.description(DESCRIPTION_SHOWN) if entity else "",
            }
        )
    return out
