"""Write a small dataset in the exact CCKS 2019 format from the embedded generator (nothing here may not
be redistributed: every text and entity is synthetic).

    .venv/bin/python plugins/entity-linking/benchmarks/make_real_sample.py [--out DIR] [--train 300]

The texts are the first `--train` of the embedded train split and the first `--eval` of its dev and
test splits (written as `train.json`, `develop.json`, `eval.json`, ids and offsets as strings); the
knowledge base (`kb_data`) holds the entities those texts can reach -- every entity carrying an
alias found anywhere in them, and every gold entity -- so the folder stays small. The default output
is `benchmarks/data/ccks2019-sample/`, which the README's real-data section was measured on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "data" / "ccks2019-sample")
    parser.add_argument("--train", type=int, default=300)
    parser.add_argument("--eval", type=int, default=100, help="texts of develop.json and of eval.json each")
    args = parser.parse_args()
    from harness_entity_linking.data import NIL, fold
    from harness_entity_linking.matching import AliasIndex
    from harness_entity_linking.synth import generate

    world = generate()
    texts = {
        "train.json": world.splits["train"][: args.train],
        "develop.json": world.splits["dev"][: args.eval],
        "eval.json": world.splits["test"][: args.eval],
    }
    index = AliasIndex(world.kb.by_alias)
    reached = set()
    for rows in texts.values():
        for row in rows:
            for _, _, alias in index.matches(fold(row["text"])):
                reached.update(world.kb.by_alias[alias])
            reached.update(m["kb_id"] for m in row["mentions"] if m["kb_id"] != NIL)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "kb_data").open("w", encoding="utf-8") as handle:
        for entity in world.kb.entities.values():  # KB order kept: candidates tie-break on it
            if entity.subject_id in reached:
                item = {
                    "subject_id": entity.subject_id,
                    "subject": entity.subject,
                    "alias": list(entity.aliases),
                    "type": list(entity.types),
                    "data": [{"predicate": p, "object": o} for p, o in entity.data],
                }
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    for name, rows in texts.items():
        with (args.out / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                mentions = [{"kb_id": m["kb_id"], "mention": m["mention"], "offset": str(m["offset"])} for m in row["mentions"]]
                item = {"text_id": row["id"], "text": row["text"], "mention_data": mentions}
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KiB" for p in sorted(args.out.iterdir()))
    print(f"{args.out}: {len(reached):,} entities, {sum(map(len, texts.values()))} texts ({sizes})")


if __name__ == "__main__":
    main()
