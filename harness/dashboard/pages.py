"""The dashboard's pages. Each takes the store and the plugin registry and draws one view.

Pages move between each other through `session_state` (page, run_id, run_a, run_b), mirrored in
the URL's query string so a run or a comparison can be linked to.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st

from harness import views
from harness.dashboard import draw, rendering
from harness.records import PROVENANCE
from harness.training import CURVE_FILE

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.api import Renderer
    from harness.leaderboard.ranking import Board, Leaderboard
    from harness.plugins.registry import Registry
    from harness.records import Artifact, RunRecord
    from harness.store import Store
    from harness.views import Panel

PAGES = ("Leaderboards", "Pairwise", "Runs", "Sweeps", "Run detail", "Compare")


def go(page: str, **state: Any) -> None:
    """A button callback: switch page (and select runs) before the next rerun draws anything."""
    st.session_state["page"] = page
    for key, value in state.items():
        st.session_state[key] = value


def _drawn(renderer: Callable[[], Renderer], panels_of: Callable[..., list[Panel]], *args: Any) -> list[Panel]:
    """A renderer's panels, made inside `draw.panels` so that a renderer failing to start is reported too."""
    return panels_of(renderer(), *args)


def _stamp(store: Store) -> float:
    """Changes whenever the database does, so cached results never outlive a new run."""
    paths = [store.path, store.path.with_name(store.path.name + ".wal")]
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


@st.cache_data(ttl=60, show_spinner="Ranking runs…")
def _leaderboard(
    db: str,
    stamp: float,
    name: str,
    pick: Literal["best", "latest"],
    include_partial: bool,
    _store: Store,
    _specs: dict[str, Any],
    _registry: Registry,
) -> Leaderboard:
    from harness.leaderboard.ranking import build

    return build(
        _store,
        _specs[name],
        _registry,
        pick=pick,
        definitions=_specs,
        include_partial=include_partial,
    )


@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def _cached_artifacts(db: str, stamp: float, run_id: str, _store: Store) -> dict[str, Artifact]:
    return {a.name: a for a in _store.artifacts(run_id)}


def _artifacts(store: Store, run_id: str) -> dict[str, Artifact]:
    """A run's artifacts by name, read once per database change however many samples are viewed."""
    return _cached_artifacts(str(store.path), _stamp(store), run_id, store)


# -- Leaderboards ------------------------------------------------------------------------------


def leaderboards(store: Store, registry: Registry) -> None:
    from harness.leaderboard.ranking import load_definitions

    specs = load_definitions(registry, store)
    names = list(specs)
    if st.session_state.get("board") not in names:
        st.session_state["board"] = names[0]
    left, right = st.columns([3, 1])
    name = left.selectbox("Leaderboard", names, key="board", format_func=lambda n: f"{specs[n].title}  ·  {n}")
    picks: list[Literal["best", "latest"]] = ["best", "latest"]
    pick = right.radio(
        "Each model's",
        picks,
        key="pick",
        horizontal=True,
        help="Rank each model+config by its best finished run, or by its latest one.",
    )
    include_partial = right.checkbox(
        "Include partial runs",
        key="include-partial",
        help="Also show --limit runs that stopped short of the split, marked, below the complete runs.",
    )
    spec = specs[name]
    st.header(spec.title)
    if spec.description:
        st.caption(spec.description)
    result = _leaderboard(str(store.path), _stamp(store), name, pick, include_partial, store, specs, registry)
    if spec.kind == "overview":
        _overview(result)
        return
    if not result.boards:
        st.info(
            f"No finished runs for {', '.join(b.task for b in spec.tasks)} yet. "
            f"Run `harness run --task {spec.tasks[0].task}` to fill this leaderboard."
        )
        return
    for board in result.boards:
        _board(board, registry)
        _curves(store, registry, board)


def _overview(result: Leaderboard) -> None:
    rows = []
    for r in result.overview:
        rows.append(
            {
                "task": r.task,
                "dataset/split": f"{r.dataset}/{r.split}" if r.dataset else "no runs yet",
                "metric": f"{r.metric} {'↑' if r.higher_is_better else '↓'}"
                if r.metric and r.higher_is_better is not None
                else (r.metric or "—"),
                "best (group 1)": " = ".join(m["model"] for m in r.best_group) + " (tie)"
                if len(r.best_group) > 1
                else (r.best_model or "—"),
                "value": draw.fmt(r.value),
                "95% CI": draw.ci(r.ci_low, r.ci_high),
                "config": draw.config(r.model_config) if r.model_config else "—",
                "run": r.run_id or "",
                "runs": r.runs,
                "models": r.models,
            }
        )
    st.dataframe(rows, hide_index=True, key="overview-table", column_config=_WIDE_TEXT)
    _downloads(
        [r.as_json() for r in result.overview], {"overview": [r.as_json() for r in result.overview]}, f"{result.spec.name}"
    )
    best = {r.run_id: f"{r.task} · {r.best_model} · run {r.run_id}" for r in result.overview if r.run_id}
    if best:
        _open_run_picker(best, "overview")


#: Configurations get room to be read (hover shows the rest); ids and numbers size to their content.
_WIDE_TEXT = {"config": st.column_config.TextColumn("config", width="medium")}


def _downloads(records: list[dict[str, Any]], whole: Any, name: str) -> None:
    """CSV (one flat row per board row) and JSON (the `--json` shape) of what the table shows."""
    from harness.leaderboard.tables import records_csv

    left, right, _ = st.columns([1, 1, 6])
    left.download_button(
        "CSV", records_csv(records), file_name=f"{name}.csv", mime="text/csv", key=f"csv-{name}", icon=":material/download:"
    )
    right.download_button(
        "JSON",
        json.dumps(whole, indent=2, ensure_ascii=False, default=str),
        file_name=f"{name}.json",
        mime="application/json",
        key=f"json-{name}",
        icon=":material/download:",
    )


def _board(board: Board, registry: Registry) -> None:
    from harness.leaderboard.ranking import ALPHA

    arrow = "↑ higher is better" if board.higher_is_better else "↓ lower is better"
    st.subheader(f"{board.task} · {board.data}")
    metric = registry.metrics.get(board.metric)
    st.caption(f"Ranked by {board.metric} ({arrow}). " + (metric.obj.description if metric else ""))
    from harness.leaderboard.tables import board_records, rank_range, split_configs

    rows = []
    seeded = any(s.seeds > 1 for s in board.standings)
    shared, own = split_configs([s.model_config for s in board.standings])
    wide = st.toggle(
        "Every column",
        key=f"wide-{_board_key(board)}",
        help="Add the extra metric columns, flags, the seeds' spread, what each model trained on, samples and runs.",
    )
    flagged = any(s.flags for s in board.standings)
    datas = [s.as_json() for s in board.standings]
    grouped = any(d.get("group") is not None for d in datas)  # tie groups, where the ranking gives them
    ranged = any(d.get("rank_interval") for d in datas)
    for s, mine, data in zip(board.standings, own, datas, strict=True):
        row: dict[str, Any] = {"rank": s.rank}
        if ranged:  # the ranks the row could take (95%), as the terminal prints them beside its rank
            row["rank range"] = rank_range(data.get("rank_interval"))
        if grouped:
            row["group"] = data.get("group")
        row.update(
            {
                "model": s.model + (f" (partial: {s.n_samples} samples)" if s.partial else ""),
                board.metric: f"{draw.fmt(s.value)} {draw.ci(s.ci_low, s.ci_high)}",  # with its 95% CI
                "vs next": _p_text(s.p_next, s.note),
            }
        )
        if flagged or wide:
            row["flags"] = ", ".join(s.flags)
        if seeded:  # rows over several seeds (harness/leaderboard/seeds.py): how many, and their spread
            row["seeds"] = s.seeds
            if wide:
                row["seed sd"] = draw.fmt(s.seed_sd)
        if wide:
            for column in board.columns:
                row[column] = draw.fmt(s.columns[column].value)
        if any(own) or wide:  # only the keys that tell the rows apart; the shared ones are in the caption
            row["config"] = draw.config(mine)
        if board.shows_training and (wide or len({t.train_dataset for t in board.standings}) > 1):
            row["trained on"] = s.train_dataset or "—"  # by default where it tells the rows apart
        if wide:
            row.update({"samples": s.n_samples, "runs": s.runs})
        row["run"] = s.run_id
        rows.append(row)
    if shared:
        st.caption(f"Config common to the rows that set it: {draw.config(shared)}")
    st.dataframe(_shaded(rows), hide_index=True, key=f"board-{_board_key(board)}-{board.metric}")
    notes = [f"{s.model}: {s.note}" for s in board.standings if s.note]
    st.caption(
        "vs next: paired-bootstrap p-value against the row below over the samples both runs share; "
        f"* marks p < {ALPHA:g}. "
        + (
            "Rows with several seeds show the mean over seeds; their CI comes from a two-level "
            "bootstrap over samples and seeds, and vs next resamples seeds too. "
            if seeded
            else ""
        )
        + _groups_caption(board)
        + " · ".join(notes)
    )
    _downloads(board_records([board]), board.as_json(), f"{_board_key(board)}-{board.metric}")
    chart_rows = [
        {
            "label": f"{s.rank}. {s.model} {draw.config(s.model_config)}",
            "value": s.value,
            "ci_low": s.ci_low if s.ci_low is not None else s.value,
            "ci_high": s.ci_high if s.ci_high is not None else s.value,
            "flagged": "yes" if s.flags else "no",
        }
        for s in board.standings
        if s.value is not None
    ]
    if chart_rows:
        st.vega_lite_chart(draw.score_chart(chart_rows, board.metric, board.higher_is_better), width="stretch")
    for row in board.stale:  # an older metric version's value: shown apart, never ranked
        st.caption(
            f"stale: `{row['rescore']}` ({row['model']} {draw.config(row['model_config'])}: {board.metric} "
            f"{draw.fmt(row['value'])} by version {row['version'] or 'unknown'}, now {row['current_version']})"
        )
    _open_run_picker(
        {s.run_id: f"{s.rank}. {s.model} {draw.config(s.model_config)} · run {s.run_id}" for s in board.standings},
        _board_key(board),
    )


@st.cache_data(ttl=60, show_spinner=False)
def _cached_curves(db: str, stamp: float, task: str, dataset: str, split: str, _store: Store, _registry: Registry) -> list[Any]:
    from harness.leaderboard.curves import gather

    task_cls = _registry.tasks[task].obj
    models = {name: entry.obj for name, entry in _registry.models.items()}
    return [gather(_store, task_cls, models, curve, dataset=dataset, split=split) for curve in task_cls.curves]


def _curves(store: Store, registry: Registry, board: Board) -> None:
    """The task's declared curves (`Task.curves`) under its board: quality against cost, one line per
    model, each point a run (clicking one opens it), with each line's deltas to the reference."""
    entry = registry.tasks.get(board.task)
    if entry is None or not entry.obj.curves:
        return
    results = _cached_curves(str(store.path), _stamp(store), board.task, board.dataset, board.split, store, registry)
    opened: dict[str, str] = {}
    for result in results:
        curve = result.curve
        rows = [
            {
                "line": line.line.name,
                "value": f"{line.line.argument}={point.value}",
                "x": point.x,
                "y": point.y,
                "run": point.run_id,
                "href": f"?page=Run+detail&run_id={point.run_id}",
            }
            for line in result.lines
            for point in line.points
        ]
        st.markdown(f"**Curve {curve.name}**: {curve.y_label} against {curve.x}")
        if not rows:
            st.caption(f"No points yet: `harness curves --task {board.task} --run` computes the default grid.")
            continue
        st.vega_lite_chart(draw.curve_chart(rows, curve.x, curve.y_label), width="stretch")
        deltas = [
            {
                "line": line.line.name,
                "points": len(line.points),
                f"BD-rate vs {curve.reference} (%)": draw.fmt(line.delta.bd_rate),
                f"BD-PSNR vs {curve.reference}": draw.fmt(line.delta.bd_psnr),
                "note": line.delta.note,
            }
            for line in result.lines
            if line.delta is not None
        ]
        if deltas:
            st.dataframe(deltas, hide_index=True, key=f"curve-{_board_key(board)}-{curve.name}")
        st.caption(
            (curve.description + " " if curve.description else "")
            + "Each point is a run; click one to open it. BD-rate: average rate difference at equal quality "
            "(negative: fewer bits); BD-PSNR: average quality difference at equal rate; pchip against log-rate."
        )
        opened.update({r["run"]: f"{r['line']} {r['value']} · run {r['run']}" for r in rows})
    if opened:
        _open_run_picker(opened, f"curves-{_board_key(board)}")


def _shaded(rows: list[dict[str, Any]]) -> Any:
    """The board's rows with every other tie group shaded, so a group reads as one block."""
    import pandas as pd  # type: ignore[import-untyped]  # streamlit's own dependency; no stubs installed

    frame = pd.DataFrame(rows)
    if "group" not in frame or frame["group"].isna().all():
        return frame

    def shade(row: Any) -> list[str]:
        group = row["group"]
        dark = group == group and int(group) % 2 == 0  # NaN: no group
        return ["background-color: rgba(128, 128, 128, 0.16)" if dark else ""] * len(row)

    return frame.style.apply(shade, axis=1).format({"group": lambda g: "" if g != g else f"{int(g)}"})


def _groups_caption(board: Board) -> str:
    from harness.leaderboard.ranking import ALPHA
    from harness.leaderboard.ties import POWER

    if board.correction is None:
        return ""
    mde = draw.fmt(board.mde) if board.mde is not None else "n/a"
    return (
        f"group: rows in one group cannot be told apart (paired bootstrap against the group's first row, "
        f"{board.correction.capitalize()}-corrected, α = {ALPHA:g}); rank range: the 95% interval of the rank over "
        f"resamples. Smallest difference detectable between neighbours at {POWER:.0%} power (MDE): {mde}. "
        "The Pairwise page shows every pair. "
    )


def _board_key(board: Board) -> str:
    """A board's widget key: task, dataset, split, and the data when another board shares those."""
    return f"{board.task}-{board.dataset}-{board.split}" + (f"-{board.fingerprint[:8]}" if board.fingerprint else "")


def _p_text(p: float | None, note: str) -> str:
    from harness.leaderboard.ranking import ALPHA

    if p is None:
        return "n/a" if note else ""
    return f"p={p:.3g}{' *' if p < ALPHA else ''}"


def _open_run_picker(labels: dict[str, str], key: str) -> None:
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Run", list(labels), key=f"open-{key}", format_func=labels.__getitem__, label_visibility="collapsed")
    right.button("Open run", key=f"open-button-{key}", on_click=go, args=("Run detail",), kwargs={"run_id": chosen})


# -- Pairwise --------------------------------------------------------------------------------


def pairwise(store: Store, registry: Registry) -> None:
    """Every pair of a board's rows: the Holm-corrected paired-bootstrap p-value, as a heat map."""
    from harness.leaderboard.ranking import ALPHA, load_definitions

    specs = {n: s for n, s in load_definitions(registry, store).items() if s.kind == "ranking"}
    names = list(specs)
    if not names:
        st.info("No ranking leaderboards yet.")
        return
    if st.session_state.get("board") not in names:
        st.session_state["board"] = names[0]
    name = st.selectbox("Leaderboard", names, key="board", format_func=lambda n: f"{specs[n].title}  ·  {n}")
    st.header(f"Pairwise: {specs[name].title}")
    st.caption(
        "Each cell: the paired-bootstrap p-value of the two rows' difference in the primary metric, Holm-corrected "
        f"over every pair of the board's complete rows at once; darker is more clearly different, and a cell below "
        f"α = {ALPHA:g} carries a red dot. The Leaderboards page shades every other tie group."
    )
    result = _leaderboard(str(store.path), _stamp(store), name, "best", False, store, specs, registry)
    for board in result.boards:
        st.subheader(f"{board.task} · {board.data} · {board.metric}")
        matrix = board.pairwise_p()
        if matrix is None:
            st.info("No p-values: the scores of this board cannot be resampled here (its metric's plugin is not installed).")
            continue
        labels = [f"{s.rank}. {s.model}" + (f" {draw.config(s.model_config)}" if s.model_config else "") for s in board.standings]
        groups = [s.group for s in board.standings]
        st.vega_lite_chart(draw.pairwise_chart(labels, groups, matrix, ALPHA), width="stretch")


# -- Runs ------------------------------------------------------------------------------------


def runs(store: Store, registry: Registry) -> None:
    st.header("Runs")
    distinct = {c: store.distinct_values(c) for c in ("task", "model", "dataset")}
    distinct["status"] = store.statuses()  # with `interrupted` for runs whose process died
    distinct["sweep_id"] = [v for v in store.distinct_values("sweep_id") if v]
    columns = st.columns(6)
    filters: dict[str, Any] = {}
    for column, (name, options) in zip(columns, distinct.items(), strict=False):
        label = "sweep" if name == "sweep_id" else name
        chosen = column.multiselect(label, options, key=f"filter-{label}")
        if chosen:
            filters[name] = chosen
    dates = columns[5].date_input("started (UTC)", value=[], key="filter-dates")
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        filters["since"] = datetime.combine(dates[0], time.min)
        filters["until"] = datetime.combine(dates[1], time.min) + timedelta(days=1)
    total = store.count_runs(**filters)
    size = 50
    pages = max(1, -(-total // size))
    page = st.number_input(f"Page (of {pages}; {total} runs)", 1, pages, 1, key="runs-page") if pages > 1 else 1
    records = store.runs(**filters, limit=size, offset=(int(page) - 1) * size)
    rows = []
    for r in records:
        primary = r.primary()
        rows.append(
            {
                "run": r.run_id,
                "task": r.task,
                "model": r.model,
                "seed": r.seed,
                "status": r.status,
                "primary metric": primary.name if primary else "",
                "value": draw.fmt(primary.value) if primary else "",
                "config": draw.config(r.model_config),
                "sweep": r.sweep_id or "",
                "dataset": r.dataset,
                "split": r.split,
                "started (UTC)": r.started_at,
                "duration (s)": r.duration_s,
                "error": (r.error or "").split("\n")[0],
            }
        )
    st.caption(f"{total} run(s) match.")
    st.dataframe(rows, hide_index=True, key="runs-table", column_config=_WIDE_TEXT)
    if not records:
        return
    ids = [r.run_id for r in records]
    labels = {r.run_id: f"{r.run_id} · {r.task} · {r.model} {draw.config(r.model_config)}" for r in records}
    left, right = st.columns(2)
    with left:
        opened = st.selectbox("Open a run", ids, format_func=labels.__getitem__, key="runs-open")
        st.button("Open run", key="runs-open-button", on_click=go, args=("Run detail",), kwargs={"run_id": opened})
    with right:
        pair = st.multiselect("Compare two runs", ids, format_func=labels.__getitem__, max_selections=2, key="runs-compare")
        st.button(
            "Compare",
            key="runs-compare-button",
            disabled=len(pair) != 2,
            on_click=go,
            args=("Compare",),
            kwargs={"run_a": pair[0] if pair else "", "run_b": pair[1] if len(pair) > 1 else ""},
        )
    for r in records:
        if r.status == "failed":
            with st.expander(f"Run {r.run_id} failed: {(r.error or '').splitlines()[0] if r.error else ''}"):
                st.code(r.error or "(no error recorded)", language="text")


# -- Sweeps ------------------------------------------------------------------------------------


def sweeps(store: Store, registry: Registry) -> None:
    """`harness sweep` runs: each sweep's progress (what the driver has stored so far) and its runs."""
    from harness.sweep.driver import get_sweep, list_sweeps, sweep_runs

    st.header("Sweeps")
    listed = list_sweeps(store)
    if not listed:
        st.info("No sweeps yet. `harness sweep --task TASK --model all --seeds 0-2` runs a grid and records it here.")
        return
    st.dataframe(
        [
            {
                "sweep": r["sweep_id"],
                "name": r["name"] or "",
                "status": r["status"],
                "executor": r["executor"],
                "finished": f"{r['done']}/{r['total']}",
                "failed": r["failed"],
                "cached": r["cached"],
                "started (UTC)": r["started_at"],
                "updated (UTC)": r["updated_at"],
            }
            for r in listed
        ],
        hide_index=True,
        key="sweeps-table",
    )
    ids = [r["sweep_id"] for r in listed]
    if st.session_state.get("sweep") not in ids:
        st.session_state["sweep"] = ids[0]
    labels = {r["sweep_id"]: f"{r['sweep_id']} · {r['name'] or 'unnamed'} · {r['status']}" for r in listed}
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Sweep", ids, format_func=labels.__getitem__, key="sweep")
    right.button("Refresh", key="sweeps-refresh", help="Read the sweep's progress again.")
    sweep = get_sweep(store, chosen or ids[0])
    total, done, failed = sweep["total"], sweep["done"], sweep["failed"]
    st.progress(
        (done + failed) / total if total else 1.0,
        text=f"{done} finished ({sweep['cached']} already stored before), {failed} failed, "
        f"{total - done - failed} pending of {total} · {sweep['status']} · executor {sweep['executor']}",
    )
    grid = sweep["grid"]
    args = ", ".join(f"{k} ∈ {{{', '.join(v)}}}" for k, v in grid["model_args"].items())
    st.caption(
        f"Grid: tasks {', '.join(grid['tasks'])} × models {', '.join(grid['models'] or ['all'])} "
        f"× seeds {', '.join(map(str, grid['seeds']))}" + (f" × {args}" if args else "")
    )
    runs = sweep_runs(store, sweep)
    st.dataframe(
        [
            {
                "run": r["run_id"] or "",
                "task": r["task"],
                "model": r["model"],
                "config": draw.config(r["model_config"]),
                "seed": r["seed"],
                "status": r["status"],
                "primary metric": r["metric"] or "",
                "value": draw.fmt(r["value"]),
                "duration (s)": r["duration_s"],
                "error": r["error"] or "",
            }
            for r in runs
        ],
        hide_index=True,
        key="sweep-runs",
    )
    stored = {
        r["run_id"]: f"{r['task']} · {r['model']} {draw.config(r['model_config'])} · seed {r['seed']} · run {r['run_id']}"
        for r in runs
        if r["run_id"]
    }
    if stored:
        _open_run_picker(stored, f"sweep-{chosen}")


# -- Run detail --------------------------------------------------------------------------------


def run_detail(store: Store, registry: Registry) -> None:
    from harness.store import StoreError

    st.header("Run detail")
    run_id = st.text_input("Run id (or a unique prefix)", key="run_id")
    if not run_id:
        st.info("Pick a run on the Runs or Leaderboards page, or paste its id here.")
        return
    try:
        run = store.get_run(run_id.strip())
    except StoreError as exc:
        st.error(str(exc))
        return
    st.subheader(f"{run.task} · {run.model}" + (f" · {draw.config(run.model_config)}" if run.model_config else ""))
    st.caption(
        f"run {run.run_id} · seed {run.seed} · {run.dataset}/{run.split} · {run.status}"
        + (f" · sweep {run.sweep_id}" if run.sweep_id else "")
    )
    if run.status == "failed":
        st.error("This run failed.")
        st.code(run.error or "", language="text")
    _metrics_table(run, registry, store.metric_descriptions(run.run_id))
    with st.expander("Metadata", expanded=False):
        _metadata(run)
    artifacts = _artifacts(store, run.run_id)
    if CURVE_FILE in artifacts:  # every model that trained through early stopping, whatever its renderer
        draw.panels(functools.partial(_learning_curve, artifacts[CURVE_FILE]), "learning curve")
    renderers = registry.renderers_for(run.task)
    if renderers:
        every = store.sample_pages(run.run_id)  # read page by page, only as far as a renderer looks
        for renderer in renderers:
            draw.panels(
                functools.partial(
                    _drawn, renderer, rendering.run_panels, run, every, artifacts, lambda: rendering.peer_runs(store, run)
                ),
                renderer.__qualname__,
            )
    if artifacts:
        st.subheader("Artifacts")
        for artifact in artifacts.values():
            _artifact(run.run_id, artifact)
    _samples(store, run, registry)


def _learning_curve(artifact: Artifact) -> list[Panel]:
    panel = views.learning_curve(json.loads(artifact.data.decode("utf-8")))
    return [panel] if panel is not None else []


def _metrics_table(run: RunRecord, registry: Registry, stored: dict[str, str]) -> None:
    rows, citations = [], []
    for m in run.metrics:
        entry = registry.metrics.get(m.name)
        description = entry.obj.description if entry else stored.get(m.name, "(metric plugin not installed here)")
        rows.append(
            {
                "metric": m.name + (" (primary)" if m.primary else ""),
                "value": draw.fmt(m.value),
                "95% CI": draw.ci(m.ci_low, m.ci_high),
                "direction": "↑" if m.higher_is_better else "↓",
                "version": m.version or "unknown",
                "description": description,
            }
        )
        if entry and entry.obj.citation:
            citations.append((m.name, entry.obj.citation))
    if rows:
        st.dataframe(rows, hide_index=True, key="metrics-table")
    if citations:
        with st.expander(f"Citations ({len(citations)})"):
            for name, citation in citations:
                st.caption(name)
                st.code(citation, language="text")


def _metadata(run: RunRecord) -> None:
    fields = [
        "run_id",
        "task",
        "task_version",
        "model",
        "dataset",
        "split",
        "data_fingerprint",
        "seed",
        "sample_limit",
        "n_samples",
        *PROVENANCE,
    ]
    st.dataframe([{"field": f, "value": str(getattr(run, f, ""))} for f in fields], hide_index=True, key="metadata-table")
    st.markdown("**Model config**")
    draw.value(run.model_config)
    st.markdown("**Package versions**")
    draw.value(run.packages or {})


def _artifact(run_id: str, artifact: Any) -> None:
    st.markdown(f"**{draw.escape(artifact.name)}** · `{artifact.kind}` · {len(artifact.data):,} bytes")
    if artifact.kind.startswith("image/"):
        st.image(artifact.data)
    elif artifact.kind == "application/json":
        try:
            draw.value(json.loads(artifact.data.decode("utf-8")), expanded=False)
        except ValueError:
            st.code(artifact.data.decode("utf-8", "replace")[:20000], language="text")
    elif artifact.kind.startswith("text/"):
        st.code(artifact.data.decode("utf-8", "replace")[:20000], language="text")
    st.download_button(
        "Download", artifact.data, file_name=artifact.name, mime=artifact.kind, key=f"artifact-{run_id}-{artifact.name}"
    )


def _samples(store: Store, run: RunRecord, registry: Registry) -> None:
    st.subheader("Samples")
    left, middle, right = st.columns([3, 1, 1])
    search = left.text_input("Search (id, input, prediction, reference)", key="sample-search")
    size = middle.selectbox("Per page", [25, 50, 100], key="sample-page-size")
    total = store.count_samples(run.run_id, search or None)
    pages = max(1, -(-total // size))
    page = right.number_input(f"Page (of {pages})", 1, pages, 1, key="sample-page")
    records = store.samples(run.run_id, limit=size, offset=(int(page) - 1) * size, search=search or None)
    st.caption(f"{total} sample(s){' match' if search else ''}.")
    rows = [
        {
            "idx": s.idx,
            "sample": s.sample_id,
            "input": draw.short_json(s.input),
            "prediction": draw.short_json(s.prediction),
            "reference": draw.short_json(s.reference),
            "scores": draw.short_json(s.scores),
        }
        for s in records
    ]
    st.dataframe(rows, hide_index=True, key="samples-table")
    if not records:
        return
    by_id = {s.sample_id: s for s in records}
    chosen = st.selectbox("Inspect a sample", list(by_id), key="sample-inspect")
    sample = by_id[chosen]
    columns = st.columns(3)
    for column, (label, value) in zip(
        columns, (("input", sample.input), ("prediction", sample.prediction), ("reference", sample.reference)), strict=True
    ):
        column.markdown(f"**{label}**")
        draw.value(value, where=column)
    st.markdown("**scores**")
    draw.value(sample.scores)
    for renderer in registry.renderers_for(run.task):
        draw.panels(
            functools.partial(_drawn, renderer, rendering.sample_panels, sample, run, lambda: _artifacts(store, run.run_id)),
            renderer.__qualname__,
        )


# -- Compare -----------------------------------------------------------------------------------


def compare(store: Store, registry: Registry) -> None:
    from harness.api import HarnessError
    from harness.leaderboard.compare import compare as compare_runs

    st.header("Compare two runs")
    left, right = st.columns(2)
    run_a = left.text_input("Run A", key="run_a")
    run_b = right.text_input("Run B", key="run_b")
    if not run_a or not run_b:
        st.info('Pick two runs on the Runs page ("Compare two runs"), or paste their ids here.')
        return
    try:
        result = compare_runs(
            store,
            run_a.strip(),
            run_b.strip(),
            limit=None,
            metric_of=lambda name: registry.metrics[name].obj() if name in registry.metrics else None,
        )
    except HarnessError as exc:  # an unknown run, or runs of different tasks
        st.error(str(exc))
        return
    a, b = result.a, result.b
    left.caption(f"{a.task} · {a.model} {draw.config(a.model_config)} · {a.dataset}/{a.split}")
    right.caption(f"{b.task} · {b.model} {draw.config(b.model_config)} · {b.dataset}/{b.split}")
    if (a.dataset, a.split) != (b.dataset, b.split):
        st.warning("These runs are on different datasets or splits: their metrics are not comparable.")
    st.caption(f"{result.shared} shared sample(s); {len(result.differing)} differ.")
    deltas = [
        {
            "metric": d["metric"] + (" (primary)" if d["primary"] else ""),
            "A": draw.fmt(d["a"]),
            "B": draw.fmt(d["b"]),
            "B − A": draw.fmt(d["delta"]),
            "better": _better(d),
        }
        for d in result.deltas
    ]
    primary = next((d["metric"] for d in result.deltas if d["primary"]), None)
    if primary and result.shared >= 2:
        from harness.leaderboard.ranking import ALPHA, paired_significance

        p, _, _ = paired_significance(store, a.run_id, b.run_id, primary, registry)
        if p is not None:
            significant = f" (significant at {ALPHA:g})" if p < ALPHA else ""
            st.caption(f"{primary}: paired-bootstrap p = {p:.3g} over the shared samples{significant}.")
    st.dataframe(deltas, hide_index=True, key="compare-metrics")
    st.subheader("Samples where they disagree")
    shown = result.differing[:500]
    rows = [
        {
            "sample": d["sample_id"],
            "score B − A": draw.fmt(d["score_delta"]),
            "prediction A": draw.short_json(d["prediction_a"]),
            "prediction B": draw.short_json(d["prediction_b"]),
            "reference": draw.short_json(d["reference"]),
            "input": draw.short_json(d["input"]),
        }
        for d in shown
    ]
    st.dataframe(rows, hide_index=True, key="compare-samples")
    if len(result.differing) > len(shown):
        st.caption(f"Showing the {len(shown)} largest differences of {len(result.differing)}.")
    if not shown:
        return
    chosen = st.selectbox("Inspect a sample", [d["sample_id"] for d in shown], key="compare-inspect")
    detail = next(d for d in shown if d["sample_id"] == chosen)
    st.markdown("**input**")
    draw.value(detail["input"], expanded=False)
    columns = st.columns(3)
    for column, label, value in (
        (columns[0], "prediction A", detail["prediction_a"]),
        (columns[1], "prediction B", detail["prediction_b"]),
        (columns[2], "reference", detail["reference"]),
    ):
        column.markdown(f"**{label}**")
        draw.value(value, where=column)
    renderers = registry.renderers_for(a.task)
    if renderers:
        from harness.records import SampleRecord

        for label, run, side in (("A", a, "a"), ("B", b, "b")):
            sample = SampleRecord(
                chosen, 0, detail["input"], detail[f"prediction_{side}"], detail["reference"], detail[f"scores_{side}"]
            )
            st.markdown(f"**Run {label}**")
            for renderer in renderers:
                draw.panels(
                    functools.partial(
                        _drawn, renderer, rendering.sample_panels, sample, run, functools.partial(_artifacts, store, run.run_id)
                    ),
                    renderer.__qualname__,
                )


def _better(delta: dict[str, Any]) -> str:
    if delta["delta"] is None or delta["delta"] == 0:
        return "="
    return "B" if (delta["delta"] > 0) == delta["higher_is_better"] else "A"
