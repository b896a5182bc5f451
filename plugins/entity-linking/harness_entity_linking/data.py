"""The knowledge base and the texts in the CCKS 2019 format (real `--data-dir` or the embedded default).

Files of the real data (every id and offset is a string there):

    kb_data         {"subject_id": "10001", "subject": "...", "alias": [...], "type": [...],
                     "data": [{"predicate": "...", "object": "..."}, ...]}       one entity per line
    train.json      {"text_id": "1", "text": "...", "mention_data": [{"kb_id": "10001" | "NIL",
                     "mention": "...", "offset": "12"}, ...]}                    one text per line
    develop.json    the same; `mention_data` may be missing (the competition's unlabelled dev set)
    eval.json       the same, read as the `test` split

Models do not get the KB inside every sample (the real one has ~400,000 entities): a row carries a
short KB reference (`kb`) and `kb_for(ref)` returns the parsed KB, cached for the process. A real
KB's reference is its content hash, never its path: the rows (hence the data fingerprint, run keys
and cached checkpoints) stay the same when the data folder moves or another machine reads a copy.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import DataError
from harness.jsonl import read_jsonl

SPLITS = ("train", "dev", "test")
SPLIT_FILES = {"train": "train.json", "dev": "develop.json", "test": "eval.json"}
NIL = "NIL"
SYNTH_DATASET = "el-synth-v1"
BOOK_MARKS = str.maketrans("", "", "《》")


def fold(text: str) -> str:
    """Case- and width-fold character by character, keeping the length, so that offsets found in the
    folded text are offsets in the original (NFKC turns full-width Ｘ into x; a character whose
    folding would change the length, such as ㎏ or İ, is kept as it is)."""
    return text.translate(_FOLDED)


class _FoldTable(dict):
    """Code point -> its character folded, filled as `str.translate` meets characters: texts and
    aliases repeat few distinct ones, and a lookup in C per character is the cheap part of a fold."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        f = unicodedata.normalize("NFKC", c).lower()
        folded = self[code] = f if len(f) == 1 else c
        return folded


_FOLDED = _FoldTable()


def normalise_alias(alias: str) -> str:
    """The dictionary form of a name: 《》 stripped, folded, surrounding spaces removed (the post)."""
    return fold(alias.translate(BOOK_MARKS)).strip()


@dataclass(frozen=True)
class Entity:
    subject_id: str
    subject: str
    aliases: tuple[str, ...]
    types: tuple[str, ...]
    data: tuple[tuple[str, str], ...]

    def description(self, limit: int | None = None) -> str:
        """The post's entity text: its "predicate: object" lines (repeats kept, as in the KB) and aliases."""
        parts = [f"{p}：{o}" for p, o in self.data]
        parts.append("别名：" + "、".join(self.aliases))
        if self.types:
            parts.insert(0, "类型：" + "、".join(self.types))
        text = "；".join(parts)
        return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class KnowledgeBase:
    """Entities by id, and every normalised alias with the ids that carry it (in KB order)."""

    ref: str
    entities: dict[str, Entity] = field(default_factory=dict)
    by_alias: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entity: Entity) -> None:
        self.entities[entity.subject_id] = entity
        for alias in {normalise_alias(a) for a in (entity.subject, *entity.aliases)}:
            if alias:
                self.by_alias.setdefault(alias, []).append(entity.subject_id)

    def __contains__(self, kb_id: str) -> bool:
        return kb_id in self.entities

    def __len__(self) -> int:
        return len(self.entities)


_KBS: dict[str, KnowledgeBase] = {}
_KB_FILES: dict[str, Path] = {}  # a real KB's reference -> the kb_data file read with it in this process


def kb_for(ref: str) -> KnowledgeBase:
    """The KB a row's `kb` field names: `el-synth-v1`, or `kb_data#sha` of a real kb_data file read
    by `load_real` in this process (`PATH#sha`, as earlier rows named it, still works)."""
    if ref not in _KBS:
        if ref == SYNTH_DATASET:
            from harness_entity_linking.synth import generate

            _KBS[ref] = generate().kb
        else:
            path = _KB_FILES.get(ref) or Path(ref.rsplit("#", 1)[0])
            if not path.is_file():
                raise DataError(
                    f"knowledge base {ref!r} has not been read here: pass the --data-dir that holds "
                    "the kb_data these texts were read with"
                )
            _KBS[ref] = read_kb(path, ref)
    return _KBS[ref]


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise DataError(f"{where}: {key!r} must be a list of strings")
    return tuple(str(v) for v in value)


def read_kb(path: Path, ref: str | None = None) -> KnowledgeBase:
    """`kb_data`: one entity per line, validated; a duplicate subject_id names both lines."""
    kb = KnowledgeBase(ref or kb_ref(path))
    first_line: dict[str, int] = {}
    for where, number, item in read_jsonl(path, "the CCKS 2019 knowledge base, one entity per line"):
        if "subject_id" not in item or not str(item["subject_id"]).strip():
            raise DataError(f"{where}: entity has no 'subject_id'")
        subject_id = str(item["subject_id"])
        if subject_id == NIL:
            raise DataError(f"{where}: 'NIL' is reserved for mentions outside the KB and cannot be a subject_id")
        if subject_id in first_line:
            raise DataError(f"{where}: duplicate subject_id {subject_id!r} (first on line {first_line[subject_id]})")
        first_line[subject_id] = number
        subject = item.get("subject")
        if not isinstance(subject, str) or not subject.strip():
            raise DataError(f"{where}: entity {subject_id!r} has no 'subject' name")
        data = item.get("data") or []
        if not isinstance(data, list):
            raise DataError(f"{where}: 'data' must be a list of {{predicate, object}}")
        pairs = []
        for j, fact in enumerate(data):
            if not isinstance(fact, dict) or "predicate" not in fact or "object" not in fact:
                raise DataError(f"{where}: data[{j}] must be an object with 'predicate' and 'object'")
            pairs.append((str(fact["predicate"]), str(fact["object"])))
        kb.add(
            Entity(
                subject_id,
                subject,
                _strings(item.get("alias"), where, "alias"),
                _strings(item.get("type"), where, "type"),
                tuple(pairs),
            )
        )
    if not kb.entities:
        raise DataError(f"{path}: the knowledge base has no entities")
    return kb


def kb_ref(path: Path) -> str:
    """`kb_data#` and a hash of the file's content: it changes when the KB does (so cached checkpoints
    follow the KB) and only then. The file is remembered for `kb_for` in this process."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    ref = f"kb_data#{digest.hexdigest()[:16]}"
    _KB_FILES[ref] = path.resolve()
    return ref


def read_texts(path: Path, kb: KnowledgeBase, require_mentions: bool) -> list[dict]:
    """A texts file: every mention's offset must point at its string, every kb_id be in the KB or NIL."""
    rows, seen = [], {}
    for where, number, item in read_jsonl(path, "CCKS 2019 texts, one JSON object per line"):
        text_id = str(item.get("text_id", "")).strip()
        if not text_id:
            raise DataError(f"{where}: no 'text_id'")
        if text_id in seen:
            raise DataError(f"{where}: duplicate text_id {text_id!r} (first on line {seen[text_id]})")
        seen[text_id] = number
        text = item.get("text")
        if not isinstance(text, str) or not text:
            raise DataError(f"{where}: no 'text'")
        raw = item.get("mention_data")
        if raw is None:
            if require_mentions:
                raise DataError(f"{where}: no 'mention_data' (training texts need their gold mentions)")
            mentions = None
        else:
            mentions = list(_mentions(raw, text, kb, where))
        rows.append({"id": text_id, "text": text, "kb": kb.ref, "mentions": mentions})
    return rows


def _mentions(raw: Any, text: str, kb: KnowledgeBase, where: str) -> Iterable[dict]:
    if not isinstance(raw, list):
        raise DataError(f"{where}: 'mention_data' must be a list")
    unique = set()
    for j, m in enumerate(raw):
        if not isinstance(m, dict) or not all(k in m for k in ("kb_id", "mention", "offset")):
            raise DataError(f"{where}: mention_data[{j}] must have 'kb_id', 'mention' and 'offset'")
        mention, kb_id = str(m["mention"]), str(m["kb_id"])
        try:
            offset = int(str(m["offset"]).strip())
        except ValueError:
            raise DataError(f"{where}: mention_data[{j}] offset {m['offset']!r} is not an integer") from None
        if not mention or offset < 0 or text[offset : offset + len(mention)] != mention:
            found = text[offset : offset + len(mention)] if offset >= 0 else ""
            raise DataError(
                f"{where}: mention_data[{j}] {mention!r} at offset {offset} does not match the text (it reads {found!r} there)"
            )
        if kb_id != NIL and kb_id not in kb:
            raise DataError(f"{where}: mention_data[{j}] {mention!r} links to kb_id {kb_id!r}, which is not in kb_data")
        key = (mention, offset, kb_id)
        if key not in unique:  # the real files repeat a few mentions verbatim; a triple counts once
            unique.add(key)
            yield {"kb_id": kb_id, "mention": mention, "offset": offset}


def load_real(data_dir: Path, split: str) -> list[dict]:
    kb_path = data_dir / "kb_data"
    kb = kb_for(kb_ref(kb_path)) if kb_path.is_file() else None
    if kb is None:
        raise DataError(f"{kb_path} does not exist (expected the CCKS 2019 knowledge base, one entity per line)")
    return read_texts(data_dir / SPLIT_FILES[split], kb, require_mentions=split == "train")


def has_annotations(path: Path) -> bool:
    """Whether a texts file exists and has a line with `mention_data` (read as text, not validated:
    loading the split validates it)."""
    if not path.is_file():
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        return any('"mention_data"' in line for line in handle)


def model_input(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a model reads of a row: the text and its KB reference. `gold_spans` (mention, offset without
    kb_id) are there only for the linking-accuracy diagnostic: a model links them separately and must not
    use them to detect mentions (ours do not; tests/test_models.py checks that end-to-end output is the
    same without them)."""
    spans = [[m["mention"], m["offset"]] for m in row["mentions"] or ()]
    return {"text_id": row["id"], "text": row["text"], "kb": row["kb"], "gold_spans": spans}


def load_synthetic(split: str) -> list[dict]:
    from harness_entity_linking.synth import generate

    return [dict(row) for row in generate().splits[split]]
