"""Names and ids a user types: a near miss gets suggestions, an id may be given by a unique prefix.

Every layer answers a mistyped name the same way, so the wording lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from harness.api import ConfigError


def suggest(name: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> str:
    """`; did you mean 'a' or 'b'?` for the choices close to `name`, or "" when none is."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=cutoff)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def unknown_name(kind: str, name: str, known: Sequence[str], extra: str = "", shown: int | None = None) -> ConfigError:
    """The error for a name that is none of `known`: suggestions, else the known names (the first `shown`)."""
    listed = known if shown is None else known[:shown]
    hint = suggest(name, known) or f" (known: {', '.join(listed) or 'none'})"
    return ConfigError(f"unknown {kind} {name!r}{hint}{extra}")


def resolve_id(
    given: str,
    matches: Sequence[str],
    *,
    kind: str,
    where: object,
    known: Callable[[], Sequence[str]],
    listing: str,
    error: type[Exception] = ConfigError,
) -> str:
    """The one id that `given` names among `matches` (the stored ids that start with it).

    As git does for commits: a whole id wins, a prefix must be unique. No match, or several,
    raises `error`; `known()` (every stored id, read only then) supplies the suggestions.
    """
    if given in matches:
        return given
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise error(f"{kind} id prefix {given!r} is ambiguous: {', '.join(matches[:5])}")
    ids = known()
    hint = suggest(given, ids) or (f" (`{listing}` lists them)" if ids else f"; no {kind}s are recorded there yet")
    raise error(f"no {kind} {given!r} in {where}{hint}")
