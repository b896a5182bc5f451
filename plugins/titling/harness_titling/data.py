"""Loading article/title pairs: the embedded synthetic default, or a `--data-dir` in a real format.

Two real layouts are read, chosen by the files present (both at once is an error):

- JSON lines `{split}.jsonl` with `{"content": ..., "title": ...}` per line (THUCNews, LCSTS or
  NLPCC converted to it; extra keys are kept out of the model input, an `id` is used if present);
- the CSL title benchmark's tab-separated `{split}.tsv`, one `title<TAB>content` pair per line
  (`dev.tsv` is accepted for `val`).

Every line is validated: bad JSON, a non-object, a missing, empty or non-text field, a wrong
column count stops the run with the file and line. Test splits may lack titles (public test sets
often do): those articles are predicted and stored, and every metric skips them. Text is kept
exactly as written; nothing is stripped or normalised silently.
"""

from __future__ import annotations

from pathlib import Path

from harness import DataError
from harness.jsonl import read_jsonl, read_lines

SPLITS = ("train", "val", "test")
TSV_NAMES = {"train": ("train.tsv",), "val": ("val.tsv", "dev.tsv"), "test": ("test.tsv",)}


def split_file(data_dir: Path, split: str) -> Path | None:
    """The file that holds `split` in `data_dir` in either real layout, or None."""
    candidates = [data_dir / f"{split}.jsonl", *(data_dir / name for name in TSV_NAMES.get(split, ()))]
    return next((path for path in candidates if path.is_file()), None)


def real_format(data_dir: Path, split: str) -> tuple[str, Path]:
    """Which layout `data_dir` holds for `split`: ("jsonl" | "csl", path)."""
    jsonl = data_dir / f"{split}.jsonl"
    tsv = [data_dir / name for name in TSV_NAMES[split] if (data_dir / name).is_file()]
    if jsonl.is_file() and tsv:
        raise DataError(f"{data_dir}: both {jsonl.name} and {tsv[0].name} exist for split {split!r}; keep one")
    if jsonl.is_file():
        return "jsonl", jsonl
    if tsv:
        return "csl", tsv[0]
    raise DataError(
        f"{data_dir} has no {jsonl.name} (JSON lines with content and title) "
        f"nor {' / '.join(TSV_NAMES[split])} (CSL: title<TAB>content per line) for split {split!r}"
    )


def _text(value: object, field: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DataError(f"{where}: {field!r} must be text, got {type(value).__name__}")
    text = str(value)  # a title such as 2019 may arrive as a JSON number
    if not text.strip():
        raise DataError(f"{where}: {field!r} is empty")
    return text


def read_jsonl_pairs(path: Path, split: str) -> list[dict]:
    rows, seen = [], set()
    for where, number, item in read_jsonl(path, "JSON lines with 'content' and 'title'"):
        if "content" not in item:
            raise DataError(f"{where}: no 'content' (the article text)")
        content = _text(item["content"], "content", where)
        if "title" not in item or item["title"] is None:
            if split != "test":
                raise DataError(f"{where}: no 'title' (only test articles may come without one)")
            title = None
        else:
            title = _text(item["title"], "title", where)
        row_id = str(item["id"]) if item.get("id") is not None else f"{split}-{number:06d}"
        if row_id in seen:
            raise DataError(f"{where}: id {row_id!r} occurs twice")
        seen.add(row_id)
        rows.append({"id": row_id, "content": content, "title": title})
    return rows


def read_csl(path: Path, split: str) -> list[dict]:
    rows = []
    for where, number, line in read_lines(path, "tab-separated title and content per line"):
        columns = line.removesuffix("\n").removesuffix("\r").split("\t")
        if len(columns) != 2:
            raise DataError(f"{where}: expected 2 tab-separated columns (title, content), found {len(columns)}")
        title, content = columns
        rows.append(
            {
                "id": f"{split}-{number:06d}",
                "content": _text(content, "content", where),
                "title": _text(title, "title", where),
            }
        )
    return rows


def load_real(data_dir: Path, split: str) -> list[dict]:
    kind, path = real_format(data_dir, split)
    return read_jsonl_pairs(path, split) if kind == "jsonl" else read_csl(path, split)


_SYNTH_CACHE: dict[str, list[dict]] = {}


def load_synthetic(split: str) -> list[dict]:
    """The embedded default, generated once per process (train is read by fit, test by evaluation)."""
    if split not in _SYNTH_CACHE:
        from harness_titling.synth import generate

        _SYNTH_CACHE[split] = generate(split)
    return [dict(row) for row in _SYNTH_CACHE[split]]
