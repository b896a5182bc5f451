"""MkDocs hooks for the documentation site (mkdocs.yml `hooks:`): pages that cannot drift from the code.

- **Built-in plugins**: one page per `plugins/*/README.md`, read at build time, so a plugin that
  lands later appears without touching the site. Links inside included files are rewritten
  for the site (see `rewrite_links`); a link to nothing stays as it is, and `--strict` fails on it.
- **Includes**: `<!-- include: PATH -->` in a page is replaced by that repository file.
- **The tutorial's scaffold**: `<!-- scaffold: PATH -->` is replaced by that file as
  `harness new-plugin movie-reviews` writes it today, and `<!-- scaffold-tree -->` by the list of files.
- **Schema**: `<!-- schema: TABLE -->` is replaced by the table's columns as a fresh results
  database has them (types, NOT NULL, primary key), described from `docs/site/schema.yml`; a
  column without a description, or a description of a column that does not exist, is a warning.
- **Docstrings**: every public module, class, function and method of the modules the API pages
  render (`::: module` lines in `docs/site/api/*.md`) must have a docstring; each one missing is a
  warning, and `mkdocs build --strict` turns warnings into a failed build.
"""

from __future__ import annotations

import logging
import posixpath
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.kexue")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "site"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
#: Repository files that are pages of the site, by their path in the repository.
PAGE_FOR = {"README.md": "index.md", "leaderboards/README.md": "leaderboards.md"}
SCAFFOLD_NAME = "movie-reviews"

_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)
_MARKER = re.compile(r"<!--\s*(include|scaffold|scaffold-tree|schema)(?::\s*(\S+))?\s*-->")

_state: dict[str, Any] = {}


def plugin_readmes() -> list[Path]:
    """Every built-in plugin's README, in name order."""
    return sorted(ROOT.glob("plugins/*/README.md"))


def on_config(config: Any) -> Any:
    """Fill the nav's "Built-in plugins" section with one entry per plugin README."""
    pages = [f"plugins/{readme.parent.name}.md" for readme in plugin_readmes()]
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Built-in plugins" in entry:
            entry["Built-in plugins"] = pages
    for readme, page in zip(plugin_readmes(), pages, strict=True):
        PAGE_FOR[readme.relative_to(ROOT).as_posix()] = page
    _state.clear()
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the plugin pages (generated from their READMEs) and the repository images they show."""
    sources = [DOCS / f.src_uri for f in files.documentation_pages()]
    for readme in plugin_readmes():
        page = f"plugins/{readme.parent.name}.md"
        files.append(File.generated(config, page, content=readme.read_text(encoding="utf-8")))
        _state.setdefault("sources", {})[page] = readme
        sources.append(readme)
    for source in list(sources):
        sources += [
            ROOT / name
            for name in re.findall(r"<!--\s*include:\s*(\S+)\s*-->", source.read_text(encoding="utf-8"))
            if (ROOT / name).is_file()
        ]
    for source in sources:
        for match in _LINK.finditer(source.read_text(encoding="utf-8")):
            image = _repository_image(match, source)
            if image is not None and files.get_file_from_path(_asset(image)) is None:
                files.append(File.generated(config, _asset(image), abs_src_path=str(image)))
    return files


def on_pre_build(config: Any) -> None:
    check_docstrings(api_modules())


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Expand markers; rewrite links of text that comes from elsewhere in the repository."""
    page_path = page.file.src_uri
    source = _state.get("sources", {}).get(page_path) or DOCS / page_path
    markdown = rewrite_links(markdown, source, page_path, files, config)

    def expand(match: re.Match) -> str:
        kind, argument = match.group(1), match.group(2)
        if kind == "include":
            path = ROOT / argument
            if not path.is_file():
                log.warning("%s: included file %s does not exist", page_path, argument)
                return match.group(0)
            return rewrite_links(path.read_text(encoding="utf-8"), path, page_path, files, config)
        if kind == "scaffold-tree":
            return "```text\n" + "\n".join(f"harness-{SCAFFOLD_NAME}/{p}" for p in sorted(scaffold())) + "\n```"
        if kind == "scaffold":
            text = scaffold().get(argument)
            if text is None:
                log.warning(
                    "%s: `harness new-plugin` writes no %s (it writes: %s)", page_path, argument, ", ".join(sorted(scaffold()))
                )
                return match.group(0)
            language = {".py": "python", ".toml": "toml", ".md": "markdown"}.get(PurePosixPath(argument).suffix, "text")
            return f'```{language} title="harness-{SCAFFOLD_NAME}/{argument}"\n{text.rstrip()}\n```'
        return schema_table(argument, page_path)

    return _MARKER.sub(expand, markdown)


# -- links -------------------------------------------------------------------------------------


def rewrite_links(markdown: str, source: Path, page_path: str, files: Files, config: Any) -> str:
    """Make relative links of a repository file (`source`) work on the page `page_path`.

    Links between pages of the site are left to mkdocs. A link to a file that is a page of the
    site (the root README, leaderboards/README.md, a plugin's README) points to that page; an
    image is published with the site (`on_files`); a link to any other file of the repository
    (source code, a benchmark script) becomes the path in code type, since the site does not
    publish source files. Web links, anchors and links to
    nothing are left alone, so a broken link still fails `--strict`. Fenced code is untouched.
    """
    parts = _FENCE.split(markdown)
    out, fenced, index = [], False, 0
    # re.split with a group returns text, fence, text, fence, ...: toggle on each fence.
    while index < len(parts):
        chunk = parts[index]
        if index % 2 == 1:
            out.append(chunk)
            fenced = not fenced
        else:
            out.append(chunk if fenced else _LINK.sub(lambda m: _rewrite(m, source, page_path, config), chunk))
        index += 1
    return "".join(out)


def _rewrite(match: re.Match, source: Path, page_path: str, config: Any) -> str:
    target = match.group("target")
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return match.group(0)
    path_part, _, anchor = target.partition("#")
    resolved = (source.parent / path_part).resolve()
    if resolved.is_relative_to(DOCS) and relative_to_docs(source):
        return match.group(0)  # a link between pages of the site: mkdocs checks it
    try:
        relative = resolved.relative_to(ROOT).as_posix()
    except ValueError:
        return match.group(0)
    page_dir = PurePosixPath(page_path).parent
    suffix = f"#{anchor}" if anchor else ""
    if relative in PAGE_FOR:
        return _link(match, _relative(PAGE_FOR[relative], page_dir) + suffix)
    if not resolved.exists():
        return match.group(0)  # left for mkdocs to report
    if _repository_image(match, source) is not None:
        return _link(match, _relative(_asset(resolved), page_dir))
    text = match.group("text")
    return f"`{relative}`" if text.strip("`") in (path_part, relative, "") else f"{text} (`{relative}`)"


def _repository_image(match: re.Match, source: Path) -> Path | None:
    """The repository file an image link outside the site's own pages shows, if it exists."""
    target = match.group("target").partition("#")[0]
    if not match.group("bang") or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
        return None
    resolved = (source.parent / target).resolve()
    inside_docs = resolved.is_relative_to(DOCS) and relative_to_docs(source)
    if inside_docs or not resolved.is_relative_to(ROOT) or not resolved.is_file():
        return None
    return resolved if resolved.suffix.lower() in IMAGE_SUFFIXES else None


def _asset(image: Path) -> str:
    """Where a repository image is published in the site."""
    return f"assets/repo/{image.relative_to(ROOT).as_posix()}"


def relative_to_docs(path: Path) -> bool:
    return path.resolve().is_relative_to(DOCS)


def _link(match: re.Match, target: str) -> str:
    return f"{match.group('bang')}[{match.group('text')}]({target}{match.group('title') or ''})"


def _relative(target: str, page_dir: PurePosixPath) -> str:
    """`target` (a path in the site) as a link from a page in `page_dir`."""
    return posixpath.relpath(target, str(page_dir) or ".")


# -- the tutorial's scaffold ---------------------------------------------------------------------


def scaffold() -> dict[str, str]:
    """The files `harness new-plugin movie-reviews` writes, by path inside the distribution."""
    if "scaffold" not in _state:
        from contextlib import nullcontext
        from unittest import mock

        from click.testing import CliRunner

        import harness.plugins.scaffold
        from harness.cli import cli

        # `new-plugin` refuses a name that is installed, and a reader who followed the tutorial
        # has harness-movie-reviews installed: the site shows what the command writes regardless.
        allow_installed = (
            mock.patch.object(harness.plugins.scaffold, "refuse_installed", lambda values: None)
            if hasattr(harness.plugins.scaffold, "refuse_installed")
            else nullcontext()
        )
        with tempfile.TemporaryDirectory(prefix="docs-scaffold-") as tmp, allow_installed:
            result = CliRunner().invoke(cli, ["new-plugin", SCAFFOLD_NAME, "--dir", tmp])
            if result.exit_code != 0:
                log.warning("`harness new-plugin %s` failed: %s", SCAFFOLD_NAME, result.output.strip())
                _state["scaffold"] = {}
                return _state["scaffold"]
            root = Path(tmp) / f"harness-{SCAFFOLD_NAME}"
            _state["scaffold"] = {
                p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(root.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts
            }
    return _state["scaffold"]


# -- the results store's schema --------------------------------------------------------------------


def schema_table(table: str, page_path: str) -> str:
    """A Markdown table of `table`'s columns in a fresh database, with their descriptions."""
    import yaml

    described = yaml.safe_load((DOCS / "schema.yml").read_text(encoding="utf-8"))
    columns, keys = _live_schema().get(table, ([], []))
    if not columns:
        log.warning("%s: the results store has no table %r", page_path, table)
        return ""
    entry = described.get(table) or {}
    descriptions = entry.get("columns") or {}
    names = [c[0] for c in columns]
    for name in names:
        if name not in descriptions:
            log.warning("schema.yml: column %s.%s is not described", table, name)
    for name in descriptions:
        if name not in names:
            log.warning("schema.yml: %s.%s is described but the store has no such column", table, name)
    lines = [entry.get("description", "").strip(), "", "| column | type | null | meaning |", "|---|---|---|---|"]
    for name, kind, nullable in columns:
        meaning = " ".join(str(descriptions.get(name, "")).split()).replace("|", "\\|")
        lines.append(f"| `{name}` | `{kind}` | {'yes' if nullable else 'no'} | {meaning} |")
    if keys:
        lines += ["", "Primary key: " + ", ".join(f"`{k}`" for k in keys) + "."]
    return "\n".join(lines)


def _live_schema() -> dict[str, tuple[list[tuple[str, str, bool]], list[str]]]:
    """Columns and primary keys of every table, from a database the store itself just created."""
    if "schema" not in _state:
        from harness.store import Store

        with tempfile.TemporaryDirectory(prefix="docs-schema-") as tmp:
            store = Store(Path(tmp) / "schema.duckdb")
            store.init()
            with store.connect(read_only=True) as con:
                rows = con.execute(
                    "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
                    "WHERE schema_name = 'main' ORDER BY table_name, column_index"
                ).fetchall()
                constraints = con.execute(
                    "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                ).fetchall()
        schema: dict[str, tuple[list, list]] = {}
        for table, column, kind, nullable in rows:
            schema.setdefault(table, ([], []))[0].append((column, kind, nullable))
        for table, key_columns in constraints:
            schema[table][1].extend(key_columns)
        _state["schema"] = schema
    return _state["schema"]


# -- docstrings -----------------------------------------------------------------------------------


def api_modules() -> list[str]:
    """The modules the API pages render, from their `::: module` lines."""
    modules = []
    for page in sorted((DOCS / "api").glob("*.md")):
        modules += re.findall(r"^:::\s+([\w.]+)\s*$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return modules


def missing_docstrings(modules: list[str], search_paths: list[str] | None = None) -> list[str]:
    """Public modules, classes, functions and methods without a docstring (attributes are exempt)."""
    import griffe

    missing = []

    def visit(obj: Any) -> None:
        for name, member in obj.members.items():
            if member.is_alias or name.startswith("_") or member.is_attribute or not member.is_public:
                continue
            if not member.docstring:
                missing.append(f"{member.path} ({member.kind.value})")
            if member.is_class:
                visit(member)

    # One loader, each package read once: `griffe.load` parses a module's whole package on every
    # call, and the API pages name a dozen modules of one package.
    loader = griffe.GriffeLoader(search_paths=search_paths or [str(ROOT)])
    loaded: set[str] = set()
    for module_name in modules:
        package = module_name.split(".")[0]
        if package not in loaded:
            loader.load(package)
            loaded.add(package)
        module = loader.modules_collection.get_member(module_name)
        if not module.docstring:
            missing.append(f"{module_name} (module)")
        visit(module)
    return missing


def check_docstrings(modules: list[str]) -> None:
    for item in missing_docstrings(modules):
        log.warning("public API without a docstring: %s", item)
