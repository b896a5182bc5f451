"""entity-linking posed as text: the text and its dictionary mentions with their candidates in,
a JSON list of (mention, offset, kb_id) out.

Mentions and candidates come from the plugin's own generator (`matching.Dictionary`): max-match over
the KB's aliases, and per mention the ids that carry the alias. An interface sees one sample and no
training data, so its dictionary is the KB's alone -- no pruning, no aliases learnt from training
links (on the embedded test split it still offers 97.8% of the gold spans). The model only chooses:
a link must name an offered span and one of its candidates, or NIL.

`parse` validates the answer. A completion that is not a JSON list of {mention: str, offset: int,
kb_id: str} objects is the `unparseable` prediction (no mentions, and the reason), counted by
`el-unparseable-rate` and as all misses elsewhere; a well-formed link to a span that was not offered
or to an entity that was not a candidate is dropped, and the reason kept under `rejected`.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from typing import Any

from harness.text import TextInterface, unfence
from harness_entity_linking.data import NIL, fold, kb_for, model_input
from harness_entity_linking.matching import Dictionary

CANDIDATES = 10  # candidates offered per mention (the KB's first ids carrying the alias)
DESCRIPTION = 60  # characters of each candidate's description shown
UNPARSEABLE = "unparseable"  # the key a prediction carries when the answer could not be read (and why)
REJECTED = "rejected"  # reasons for well-formed links that were dropped

_DICTIONARIES: dict[str, Dictionary] = {}
_BUILDING = threading.Lock()  # text models may build prompts from several threads; a real KB's automaton takes seconds


def unparseable(reason: str) -> dict[str, Any]:
    """The prediction for an answer that is not the JSON asked for: nothing linked, and why."""
    return {"mentions": [], UNPARSEABLE: reason}


def dictionary(kb_ref: str) -> Dictionary:
    """The KB's alias dictionary (built once per KB and process: the automaton over every alias)."""
    with _BUILDING:
        if kb_ref not in _DICTIONARIES:
            _DICTIONARIES[kb_ref] = Dictionary.build(kb_for(kb_ref), (), prune_ratio=0)
        return _DICTIONARIES[kb_ref]


def offered(input: Mapping[str, Any]) -> dict[tuple[str, int], list[str]]:
    """The mentions put to the model, (mention, offset) -> candidate ids, in text order."""
    return {(mention, start): list(ids) for mention, start, ids in _offers(input["kb"], input["text"])}


@functools.lru_cache(maxsize=4096)
def _offers(kb_ref: str, text: str) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """Cached: a sample's offer is computed for its prompt and again to check the answer."""
    found = dictionary(kb_ref)
    out = []
    for start, end in found.max_match(fold(text), pruned=False):
        ids = found.candidates(text[start:end], min_seen=0, limit=CANDIDATES)
        if ids:
            out.append((text[start:end], start, tuple(ids)))
    return tuple(out)


class EntityLinkingText(TextInterface):
    version = "1"
    system = (
        "You link entity mentions in a Chinese text to a knowledge base.\n"
        "You get the text and the mentions found in it by dictionary matching, each with its offset "
        "(characters from 0) and its candidate entities (kb_id: name, description).\n"
        "For each mention that names an entity, choose the candidate it refers to, or NIL when it names "
        "an entity that is not among the candidates. Leave out matches that are no entity mention "
        "(part of a longer word, a common word).\n"
        'Reply with a JSON list only, copying mention and offset as given: [{"mention": "...", "offset": 0, '
        '"kb_id": "..."}], or [] when nothing is linked.'
    )

    def user(self, input: Mapping[str, Any]) -> str:
        kb = kb_for(input["kb"])
        lines = [f"Text: {input['text']}"]
        offers = offered(input)
        if not offers:
            lines.append("No mentions were found in the text.")
        else:
            lines.append("Mentions and their candidate entities:")
        for n, ((mention, offset), ids) in enumerate(offers.items(), 1):
            lines.append(f"{n}. {json.dumps(mention, ensure_ascii=False)} at offset {offset}:")
            for kb_id in ids:
                entity = kb.entities[kb_id]
                lines.append(f"   - {kb_id}: {entity.subject}（{entity.description(DESCRIPTION)}）")
        return "\n".join(lines)

    def answer(self, row: Mapping[str, Any]) -> str:
        """The gold links the prompt can express: a gold mention the generator did not offer, or whose
        entity is not among its candidates, has no right answer here and is left out."""
        offers = offered(row)
        links = [
            {"mention": m["mention"], "offset": m["offset"], "kb_id": m["kb_id"]}
            for m in sorted(row["mentions"] or (), key=lambda m: (m["offset"], m["mention"]))
            if (m["mention"], m["offset"]) in offers and (m["kb_id"] == NIL or m["kb_id"] in offers[(m["mention"], m["offset"])])
        ]
        return json.dumps(links, ensure_ascii=False)

    def parse(self, completion: str, input: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(completion, str):
            return unparseable(f"the completion is {type(completion).__name__}, not text")
        try:
            answer = json.loads(unfence(completion))
        except (ValueError, RecursionError) as exc:
            return unparseable(f"not JSON: {str(exc)[:120]}")
        if isinstance(answer, dict) and isinstance(answer.get("mentions"), list):
            answer = answer["mentions"]  # JSON modes answer with an object: {"mentions": [...]}
        if not isinstance(answer, list):
            return unparseable(f"expected a JSON list of links, got {type(answer).__name__}")
        offers = offered(input)
        mentions: list[dict[str, Any]] = []
        rejected: list[str] = []
        linked: set[tuple[str, int]] = set()
        for i, item in enumerate(answer):
            wrong = _wrong_shape(item)
            if wrong:
                return unparseable(f"link {i}: {wrong}")
            span = (item["mention"], item["offset"])
            if span not in offers:
                rejected.append(f"link {i}: no mention {item['mention']!r} at offset {item['offset']} was offered")
            elif item["kb_id"] != NIL and item["kb_id"] not in offers[span]:
                rejected.append(f"link {i}: {item['kb_id']!r} is not a candidate of {item['mention']!r}")
            elif span in linked:
                rejected.append(f"link {i}: {item['mention']!r} at offset {item['offset']} is linked twice")
            else:
                linked.add(span)
                mentions.append({"mention": item["mention"], "offset": item["offset"], "kb_id": item["kb_id"]})
        return {"mentions": mentions, REJECTED: rejected} if rejected else {"mentions": mentions}

    def input_of(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        return model_input(row)


def _wrong_shape(item: Any) -> str | None:
    if not isinstance(item, dict):
        return f"expected an object, got {type(item).__name__}"
    for key, kind in (("mention", str), ("offset", int), ("kb_id", str)):
        value = item.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{key!r} must be {'an integer' if kind is int else 'a string'}, not {type(value).__name__}"
    if item["offset"] < 0:
        return "'offset' must not be negative"
    return None
