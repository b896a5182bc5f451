"""A logger as an experiment-tracker plugin would be: appends each `on_run_end` call (process,
run, status, artifact names) to the JSON-lines file `$TOY_RUN_LOG`."""

from __future__ import annotations

import json
import os

from harness import hookimpl


@hookimpl
def on_run_end(run, artifacts):
    with open(os.environ["TOY_RUN_LOG"], "a") as log:
        log.write(
            json.dumps({"pid": os.getpid(), "run_id": run.run_id, "status": run.status, "artifacts": sorted(artifacts)}) + "\n"
        )
