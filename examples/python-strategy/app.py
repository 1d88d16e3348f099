"""A Cast-like anneal strategy written in Python (componentize-py).

It implements the `strategy` world of `wit/since_v0.1.0`: `info()` describes it, `run(input)` asks
one planner (`prometheus-cast`) through the host, has Momus audit the plan, re-plans once with
Momus's findings folded in when Momus blocks, and returns the plan as the stage output.

It prints a line to stdout (the host captures it into `run.log`) and, when run with
`--opt probe=true`, reports what it can see of the filesystem and the environment through
`host.log` — under anneal's sandbox it sees nothing.
With `--opt sleep=N` it sleeps N seconds first (a WASI clock wait): anneal's guest CPU limit
(`--max-guest-cpu`) stops it all the same.
"""
import os
import time

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    AgentRequest,
    LogLevel,
    OptionKind,
    OptionSpec,
    StageOutput,
    StrategyInfo,
    Verdict,
)

NAME = "python-cast"
VERSION = "0.1.0"


def _request(extra_directives):
    return AgentRequest(
        role="prometheus-cast",
        category=None,
        lens=None,
        extra_directives=extra_directives,
        prior_plan=None,
        feedback=[],
        scores=[],
        depth=None,
    )


def _call(what, fn, *args):
    """Calls a host function, turning a host error into the strategy's own error message."""
    try:
        return fn(*args)
    except Err as e:
        raise Err(f"{what} failed: {e.value}")


def _probe():
    """What the sandbox lets the guest see: the root directory listing and the environment."""
    try:
        listing = sorted(os.listdir("/"))
        seen_fs = f"listdir('/') = {listing}"
    except OSError as e:
        seen_fs = f"listdir('/') failed: {type(e).__name__}"
    env = sorted(os.environ.keys())
    host.log(LogLevel.INFO, f"probe: {seen_fs}; environ keys = {env}")


class WitWorld(wit_world.WitWorld):
    def info(self) -> StrategyInfo:
        return StrategyInfo(
            name=NAME,
            version=VERSION,
            description="Cast in Python: one planner call, Momus audits, one re-plan on BLOCK.",
            options=[
                OptionSpec(
                    name="probe",
                    description="log what the guest can see of the filesystem and environment",
                    kind=OptionKind.FLAG,
                    default_value="false",
                    min=None,
                    max=None,
                    below_min=None,
                    above_max=None,
                ),
                OptionSpec(
                    name="sleep",
                    description="seconds to sleep (a WASI clock wait) before planning: shows that "
                    "--max-guest-cpu also stops a guest blocked inside WASI",
                    kind=OptionKind.INTEGER,
                    default_value="0",
                    min=0,
                    max=86400,
                    below_min=None,
                    above_max=None,
                ),
            ],
        )

    def run(self, input) -> StageOutput:
        print(f"{NAME}: planning {input.task!r} (iteration {input.iteration})")
        options = dict(input.options)
        if options.get("probe") == "true":
            _probe()
        if int(options.get("sleep", "0")) > 0:
            time.sleep(int(options["sleep"]))
        host.progress(f"{NAME}: prometheus-cast is writing the plan")
        plan = _call("prometheus-cast", host.invoke_agent, _request([]))
        momus = _call("momus", host.momus, plan, None)
        stage_loops = 0
        if momus.verdict == Verdict.BLOCK:
            folded = [f"Momus ({f.location}): {f.demand}" for f in momus.findings]
            host.log(LogLevel.INFO, f"{NAME}: momus blocked; re-planning with {len(folded)} findings")
            plan = _call("prometheus-cast", host.invoke_agent, _request(folded))
            momus = _call("momus", host.momus, plan, None)
            stage_loops = 1
        print(f"{NAME}: {len(plan.phases)} phases, momus {momus.verdict.name}")
        return StageOutput(
            plan=plan,
            stage_loops=stage_loops,
            depth_final=None,
            depth_scores=[],
            convergence_reason=None,
            bias_set=[],
            notes=[f"{NAME}: iteration {input.iteration} planned {len(plan.phases)} phases; momus {momus.verdict.name}"],
        )
