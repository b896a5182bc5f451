"""The dashboard's entry point: page setup, the database it reads, navigation, first-run page.

`streamlit run app.py [-- --db PATH]` and `harness dashboard [--db PATH]` both end up in `main`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import streamlit as st

from harness.dashboard import pages, publishing

READ_TIMEOUT_S = 15.0  # how long a page waits for a writing `harness run` before saying so


def database_path(argv: list[str] | None = None) -> Path | None:
    """`--db PATH` after `streamlit run app.py --`, else None (HARNESS_DB, else the default)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", type=Path)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known.db


def main() -> None:
    from harness.plugins.registry import get_registry
    from harness.store import Store, StoreError

    st.set_page_config(page_title="Kexue Harness", page_icon="📊", layout="wide")
    store = Store(database_path(), timeout=READ_TIMEOUT_S)
    registry = get_registry()
    _sync_query_params()
    with st.sidebar:
        st.title("Kexue Harness")
        page = st.radio("Page", pages.PAGES, key="page")
        st.caption(f"Database: {store.path}")
        publishing.publish_form(store.path)
        for plugin, error in registry.broken().items():  # never silent: a broken plugin hides its tasks
            st.warning(f"Plugin {plugin!r} failed to load: {error} (`harness plugins` shows more)")
    for key in ("page", "run_id", "run_a", "run_b", "board", "sweep"):
        value = st.session_state.get(key)
        if value:
            st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]
    try:
        if not store.exists() or store.count_runs() == 0:
            first_run(store, registry)
            return
        {
            "Leaderboards": pages.leaderboards,
            "Pairwise": pages.pairwise,
            "Runs": pages.runs,
            "Sweeps": pages.sweeps,
            "Run detail": pages.run_detail,
            "Compare": pages.compare,
        }[page](store, registry)
    except StoreError as exc:
        st.error(f"{exc}")
        st.button("Try again")


def _sync_query_params() -> None:
    """On a fresh session, take the page and selected runs from the URL (a shared link)."""
    if st.session_state.get("_from_url"):
        return
    st.session_state["_from_url"] = True
    params = st.query_params
    if params.get("page") in pages.PAGES:
        st.session_state["page"] = params["page"]
    for key in ("run_id", "run_a", "run_b", "board", "sweep"):
        if params.get(key):
            st.session_state[key] = params[key]


def _answers_at_once(registry, task: str) -> bool:
    """Whether the task's default model runs without training first (the example to suggest)."""
    from harness.api import Model

    entry = registry.models.get(registry.tasks[task].obj.default_model)
    return entry is not None and entry.obj.fit is Model.fit


def first_run(store, registry) -> None:
    """An empty or missing database: say what to run, list what is installed."""
    st.header("No runs yet")
    st.info(
        f"The results database {store.path} {'has no runs' if store.exists() else 'does not exist'} yet. "
        "Record a run, then reload this page:"
    )
    tasks = sorted(registry.tasks)
    example = next((t for t in tasks if _answers_at_once(registry, t)), tasks[0] if tasks else "TASK")
    st.code(f"harness run --task {example}\nharness leaderboard\nstreamlit run app.py", language="bash")
    if tasks:
        st.markdown("**Installed tasks**")
        st.dataframe(
            [
                {
                    "task": name,
                    "group": e.obj.group or "",
                    "description": e.obj.description,
                    "default model": e.obj.default_model,
                    "plugin": e.plugin,
                }
                for name, e in sorted(registry.tasks.items())
            ],
            hide_index=True,
        )
    else:
        st.warning("No task plugins are installed: `pip install -e plugins/geometry` or `harness new-plugin NAME`.")
    st.caption("Another database? `streamlit run app.py -- --db PATH`, `harness dashboard --db PATH`, or set HARNESS_DB.")


if __name__ == "__main__":  # `streamlit run harness/dashboard/app.py`, as `harness dashboard` does
    main()
