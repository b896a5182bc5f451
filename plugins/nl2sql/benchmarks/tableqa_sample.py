"""Write the real-format sample: a small TableQA folder (train/val/test questions and tables, one
JSON object per line, test answers in a separate gold file as TableQA publishes them), generated
by the embedded default's generator from other seeds, so it may be shipped and redistributed.

    python plugins/nl2sql/benchmarks/tableqa_sample.py            # rewrites benchmarks/data/tableqa-sample/
    harness run --task nl2sql --data-dir plugins/nl2sql/benchmarks/data/tableqa-sample

400 train questions on 24 tables, 100 val and 100 test questions on 6 tables each; val and test
tables have header lists that never occur in the sample's train (as in the embedded default).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from harness_nl2sql.synth import VERSION, Generator

SIZES = {"train": (24, 400), "val": (6, 100), "test": (6, 100)}  # (tables, questions)
FOLDER = Path(__file__).parent / "data" / "tableqa-sample"


def split(name: str, taken: set[tuple[str, ...]]) -> tuple[list[dict], list[dict]]:
    """(questions, tables) of one split; the train split's header lists go into `taken`."""
    n_tables, n_questions = SIZES[name]
    generator = Generator("train" if name == "train" else name)  # train: every domain in turn, as the default's
    generator.rng = random.Random(f"{VERSION}/tableqa-sample/{name}")
    built = [generator.make_table(index, taken) for index in range(n_tables)]
    questions = [generator.question(*built[i * n_tables // n_questions], i) for i in range(n_questions)]
    tables = []
    for table, _, _ in built:
        table = {k: v for k, v in table.items() if k != "_aliases"}
        tables.append({**table, "id": f"sample-{table['id']}", "name": f"Table_sample_{table['name'][6:]}"})
    for q in questions:
        q["table_id"] = f"sample-{q['table_id']}"
        q["id"] = f"sample-{q['id']}"
    return questions, tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FOLDER)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    taken: set[tuple[str, ...]] = set()
    for name in ("train", "val", "test"):
        questions, tables = split(name, taken if name == "train" else set(taken))
        lines = (json.dumps(t, ensure_ascii=False) for t in tables)
        (out / f"{name}.tables.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if name == "test":  # TableQA's test questions carry no sql; the answers are a separate file
            gold = (json.dumps(q["sql"], ensure_ascii=False) for q in questions)
            (out / "test.gold.json").write_text("\n".join(gold) + "\n", encoding="utf-8")
            questions = [{k: v for k, v in q.items() if k != "sql"} for q in questions]
        lines = (json.dumps(q, ensure_ascii=False) for q in questions)
        (out / f"{name}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}: " + ", ".join(f"{n} {q} questions on {t} tables" for n, (t, q) in SIZES.items()))


if __name__ == "__main__":
    main()
