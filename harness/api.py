"""The classes a plugin author subclasses: Task, Model, Metric, Renderer.

They are deliberately small and import nothing heavy, so that listing what is installed
(`harness tasks`) never pulls in torch or datasets: a plugin imports those inside methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from harness.context import RunContext
    from harness.curves import Curve
    from harness.records import Artifact, RunRecord, SampleRecord
    from harness.text import TextInterface
    from harness.views import Panel

Row = Mapping[str, Any]


class HarnessError(Exception):
    """An error a user can act on: the CLI prints its message on one line, no traceback."""


class ConfigError(HarnessError):
    """A model argument, task name or option that cannot be used as given."""


class DataError(HarnessError):
    """Input data that cannot be read: the message names the file and, where known, the line."""


class PredictionError(HarnessError):
    """A model's prediction that does not have the shape the task's metrics read."""


class ScoreError(PredictionError):
    """A prediction a metric cannot read: names the metric, the sample and what it expected."""


class Task:
    """A dataset plus how to score predictions on it.

    Subclasses set the class attributes and implement `load`. Metrics are referred to by
    name so that any plugin's metric (registered through `register_metrics`) can serve.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: False when `score` needs more than the stored prediction, reference and input (a model, or data
    #: the run held only in memory): `harness rescore` then skips the metric with a note, and only a
    #: new run (`harness run --overwrite`) recomputes it.
    rescorable: ClassVar[bool] = True
    description: ClassVar[str] = ""
    source: ClassVar[str] = ""
    group: ClassVar[str | None] = None
    splits: ClassVar[tuple[str, ...]] = ("test",)
    default_split: ClassVar[str] = "test"
    #: Split handed to `Model.fit` for models that train; None when the task has none.
    train_split: ClassVar[str | None] = None
    #: Split a training model validates on for early stopping (`RunContext.split_validation`), read
    #: from the same source as the train split when `has_split` says it is there. None: models carve
    #: their validation rows out of the train split.
    validation_split: ClassVar[str | None] = None
    metrics: ClassVar[tuple[str, ...]] = ()
    primary_metric: ClassVar[str]
    default_model: ClassVar[str]
    #: Name stored in the `dataset` column for the embedded default. Say "synth" if synthetic.
    embedded_dataset: ClassVar[str] = ""
    #: Name stored for data read from `--data-dir`, so real and synthetic never rank together.
    real_dataset: ClassVar[str] = ""
    id_field: ClassVar[str] = "id"
    reference_field: ClassVar[str] = "reference"
    #: JSON Schema of one prediction, as the task's metrics read it: `harness tasks NAME` shows it,
    #: and the runner checks a run's first predictions against it, so a model written for this task
    #: by another plugin fails with the sample and field at fault instead of deep inside a metric.
    prediction_schema: ClassVar[Mapping[str, Any] | None] = None
    #: How the task is posed to a model that reads and writes text (`harness.text`); None when it
    #: cannot be. Models such as `openai-chat` serve exactly the tasks that set it.
    text: ClassVar[type[TextInterface] | None] = None
    #: Quality-against-cost curves (`harness.curves.Curve`): per model, the argument that moves it
    #: along the curve and its default grid. `harness curves` lists them with Bjøntegaard deltas.
    curves: ClassVar[tuple[Curve, ...]] = ()

    def load(self, split: str, data_dir: Path | None = None) -> Sequence[Row]:
        """Return the split as a `datasets.Dataset` (or any sequence of dict rows).

        `data_dir` is the user's `--data-dir` in the real dataset's format; None means the
        deterministic embedded default. Raise `DataError` naming file and line on bad input.
        """
        raise NotImplementedError

    def has_split(self, split: str, data_dir: Path | None) -> bool:
        """Whether the data holds `split`: real datasets often come without their validation file.

        The embedded default has every split in `splits`. For a folder this default looks for a
        file or folder named after the split (`val.json`, `val/`); override it with the real
        format's file names.
        """
        if split not in self.splits:
            return False
        if data_dir is None:
            return True
        return any(p.name == split or p.stem == split for p in data_dir.iterdir()) if data_dir.is_dir() else False

    def dataset_name(self, data_dir: Path | None) -> str:
        """The `dataset` column of a run: `embedded_dataset` without `--data-dir`, else
        `real_dataset`, so synthetic and real results are never ranked together."""
        if data_dir is None:
            return self.embedded_dataset or f"{self.name}-embedded"
        return self.real_dataset or f"{self.name}-data"

    def sample_id(self, row: Row, index: int) -> str:
        """A stable id for the row (its `id_field`, else its position): resume and paired comparisons match samples by it."""
        value = row.get(self.id_field)
        return str(index) if value is None else str(value)

    def input(self, row: Row) -> dict[str, Any]:
        """What the model sees: the row without its reference (models never see answers)."""
        return {k: v for k, v in row.items() if k != self.reference_field}

    def reference(self, row: Row) -> Any:
        """The expected answer the metrics compare a prediction with; models never see it."""
        return row[self.reference_field]

    def artifacts(self, samples: Sequence[SampleRecord]) -> Iterable[Artifact]:
        """Run-level artifacts (plots, curves, tables) computed from all samples of a run."""
        return ()


class Model:
    """Anything evaluated on a task: a network, a rule baseline, a test, a solver.

    `defaults` declares every accepted model argument with its default; `--model-arg k=v`
    values are converted to the default's type. The resolved config is hashed into the run key.
    """

    name: ClassVar[str]
    #: Task names or group names this model serves; ("*",) serves every task.
    tasks: ClassVar[tuple[str, ...]] = ()
    #: What an overridden `serves` accepts, in words ("tasks posed as text"): the error for a task
    #: it refuses says so, where a fixed `tasks` list would have named the tasks.
    serves_what: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    batch_size: ClassVar[int] = 32
    #: Arguments without a usable default (an endpoint, a checkpoint folder): a sweep over "every
    #: model that serves a task" leaves such a model out unless the sweep gives each of them.
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **config: Any) -> None:
        self.config: dict[str, Any] = resolve_config(type(self), config)

    @classmethod
    def serves(cls, task: type[Task]) -> bool:
        """Whether this model may run on `task`: `tasks` names it, its group, or `"*"`."""
        return "*" in cls.tasks or task.name in cls.tasks or (task.group or "\0") in cls.tasks

    @property
    def trains(self) -> bool:
        return type(self).fit is not Model.fit

    def bind(self, task: Task) -> None:
        """Called with the task before the run key is computed. A model whose requests depend on
        the task beyond its data (the version of the task's text interface) records that in
        `self.config` here, so it is part of the run's configuration and key."""

    def preflight(self, task: Task) -> None:
        """Called before a run computes its first sample, never for a run answered from the store:
        a model that depends on something outside (a server, a key, a folder) checks it here and
        raises `ConfigError` with one line, before anything is recorded."""

    def fit(self, train: Sequence[Row], ctx: RunContext) -> None:
        """Train on the task's train split. Checkpoints are cached by the runner via save/load."""

    def save(self, directory: Path) -> None:
        """Write what `load` needs to skip training next time (called after `fit`)."""
        raise NotImplementedError(f"model {self.name!r} trains but does not implement save()")

    def load(self, directory: Path) -> None:
        """Restore what `save` wrote, so a trained model is reused instead of trained again."""
        raise NotImplementedError(f"model {self.name!r} trains but does not implement load()")

    def predict(self, batch: list[dict[str, Any]], ctx: RunContext) -> list[Any]:
        """Return one JSON-serialisable prediction per input, in order."""
        raise NotImplementedError


class Metric:
    """A per-sample score plus an aggregate over samples.

    `score` returns a float (aggregated by its mean) or a mapping of named per-sample
    statistics, e.g. {"tp": 1, "fp": 0, "fn": 2}, which `aggregate` turns into one number
    (corpus metrics such as micro F1). The runner bootstraps the aggregate for a CI.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    higher_is_better: ClassVar[bool] = True
    #: What `score` needs the prediction to be ("a number", "a list of spans"): named in the error
    #: a user sees when a model's prediction has another shape.
    expects: ClassVar[str] = ""
    #: The range the aggregate can take, (low, high) with None for an open end: (0, 1) for a share
    #: or an accuracy, (0, None) for an error or a distance. Leaderboard intervals over seeds are
    #: kept inside it (a non-negative error never gets a CI reaching below 0).
    bounds: ClassVar[tuple[float | None, float | None]] = (None, None)
    #: Bump it whenever `score` or `aggregate` would give other values for the same predictions: every
    #: stored value records the version that computed it, boards rank only values of the current one,
    #: and `harness rescore` recomputes the others from the stored predictions.
    version: ClassVar[str] = "1"
    #: False when `score` needs more than the stored prediction, reference and input (a model, or data
    #: the run held only in memory): `harness rescore` then skips the metric with a note, and only a
    #: new run (`harness run --overwrite`) recomputes it.
    rescorable: ClassVar[bool] = True

    def score(self, prediction: Any, reference: Any, input: Mapping[str, Any]) -> float | Mapping[str, float] | None:
        """One sample's score, or named statistics (e.g. tp/fp/fn) for a corpus metric that `aggregate`
        combines; None when the metric does not apply to this sample (it is then left out of the
        aggregate, the CI and paired tests)."""
        raise NotImplementedError

    def aggregate(self, stats: Mapping[str, np.ndarray]) -> float:
        """The run's value from per-sample statistics (default: the mean); the bootstrap calls it on every resample."""
        import numpy as np

        return float(np.mean(stats["value"]))

    @property
    def is_mean(self) -> bool:
        return type(self).aggregate is Metric.aggregate


class Renderer:
    """Draws one task's runs and samples in the dashboard, which itself knows no task.

    Return `harness.views.Panel`s (charts as Vega-Lite specs, images, code, tables, text); the
    app turns them into widgets. Keep heavy imports inside the methods.
    """

    #: Task names or group names this renderer draws.
    tasks: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def serves(cls, task: str, group: str | None = None) -> bool:
        """Whether this renderer draws `task`: `tasks` names it, its group, or `"*"`."""
        return "*" in cls.tasks or task in cls.tasks or (group or "\0") in cls.tasks

    def run_panels(
        self, run: RunRecord, samples: Sequence[SampleRecord], artifacts: Mapping[str, Artifact], peers: Sequence[RunRecord] = ()
    ) -> list[Panel]:
        """Run-level plots. `samples` is every sample of the run in dataset order, read from the
        store page by page as you index or iterate it (`len(samples)` is cheap): look at what you
        need. A summary that must visit every sample of a large run each time the page is drawn is
        better computed once at run end in `Task.artifacts`.

        `peers` are the other finished runs of the same task, dataset and split in the same
        database (with their metrics), for charts that place this run among others. It is read
        only for renderers whose `run_panels` names it: leave it out of the signature if unused."""
        return []

    def sample_panels(self, sample: SampleRecord, run: RunRecord, artifacts: Mapping[str, Artifact] | None = None) -> list[Panel]:
        """How one sample looks (an image pair, an SQL diff, a curve), shown in the sample view.

        `artifacts` are the run's artifacts by name (e.g. a contact sheet the sample is cropped
        from), read only for renderers whose `sample_panels` names it."""
        return []

    def static_sample(self, sample: SampleRecord, run: RunRecord, artifacts: Mapping[str, Artifact] | None = None) -> list[Panel]:
        """How one sample shows in a published site (`harness publish`): a static page of many
        samples, read from a file with no server, so keep it compact (what a reader scans: the
        pair of images, the question and its SQL, the marked mentions).

        The default is the generic view every task gets: input, prediction and reference as text
        or JSON, and the scores as a table. `artifacts` are passed only when the method names it."""
        from harness.views import generic_sample

        return generic_sample(sample)

    @staticmethod
    def wants(method: Any, argument: str) -> bool:
        """Whether a renderer method takes `argument` (the context arguments added after the first
        positional ones are passed only to methods that name them, so older renderers keep working)."""
        import inspect

        parameters = inspect.signature(method).parameters
        return argument in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _coerce(value: str, default: Any, key: str, model: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"model {model!r}: argument {key}={value!r} is not a valid {kind}") from None
    return value


def resolve_config(model: type[Model], given: Mapping[str, Any]) -> dict[str, Any]:
    """The model's defaults updated with `given`, each value converted to its default's type;
    an unknown key is a `ConfigError`."""
    unknown = sorted(set(given) - set(model.defaults))
    if unknown:
        allowed = ", ".join(sorted(model.defaults)) or "none"
        raise ConfigError(f"model {model.name!r} has no argument {unknown[0]!r} (accepted: {allowed})")
    config = dict(model.defaults)
    for key, value in given.items():
        config[key] = _coerce(value, model.defaults[key], key, model.name)
    return config
