"""The OpenAPI description matches what the API does: Schemathesis runs every phase of
`st run` (examples, coverage, fuzzing, stateful) with all its checks against the app, on a
fresh copy of the demo archive, as an organiser and anonymously, and finds no failure.

Most of the time is Schemathesis generating cases, so the organiser's phases run as two
tests, for two xdist workers; the coverage phase tries a sample of the ~600 time zones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_helpers import make_env
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine import events as ev
from schemathesis.hooks import HookContext

from api.schemas import LOCAL_TIME_FORMAT
from site_builder.archive.schema import YEARS
from site_builder.config import load_stages

LOCAL_TIMES = st.datetimes(datetime(YEARS[0], 1, 2), datetime(YEARS[1], 12, 30)).map(
    lambda moment: moment.replace(microsecond=0).isoformat()
)
"""Local wall-clock times, without offset, in the years the archive accepts."""
schemathesis.openapi.format(LOCAL_TIME_FORMAT, LOCAL_TIMES)

CHECKS: dict[str, Any] = {
    "enabled": True,
    # A well-formed If-Match naming another version than the current one is refused
    # with 412 (RFC 9110 13.1.1): like 404 and 409, that depends on the archive's state.
    "positive_data_acceptance": {
        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429"],
    },
    # Without the required If-Match the answer is 428 Precondition Required
    # (RFC 6585 section 3), the status made for exactly that.
    "missing_required_header": {
        "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"],
    },
}


def rules_of(content: Path) -> Callable[[HookContext, Case[Any]], Case[Any]]:
    """A `map_case` hook for what JSON Schema cannot state and the description says in
    words: an event ends no earlier than it starts (a time sent alone is compared with the
    stored one), a project's category is one of its event's (here none, as the events
    are new), and a stage is one of the archive's ladder."""
    stages = [stage.number for stage in load_stages(content).ladder]

    def map_case(context: HookContext, case: Case[Any]) -> Case[Any]:
        body = case.body
        if not (case.meta and case.meta.generation.mode.is_positive and isinstance(body, dict)):
            return case
        times = body.pop("starts_at", None), body.pop("ends_at", None)
        if isinstance(times[0], str) and isinstance(times[1], str):
            body["starts_at"], body["ends_at"] = sorted((times[0], times[1]))
        if isinstance(body.get("category"), str):
            body["category"] = None
        if isinstance(progress := body.get("progress"), int):
            body["progress"] = stages[progress % len(stages)]
        return case

    return map_case


ENUM_SAMPLE = 12
"""Values kept of a long `enum` (the ~600 time zones): the API checks them all the same way,
by one set lookup, and the coverage phase would try every one."""


def _sample_long_enums(node: Any) -> None:
    """Cut each long `enum` in the loaded description to evenly spaced values, in place
    (the empty value kept): the run tries fewer alike values, the checks stay the same."""
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list) and len(values) > ENUM_SAMPLE:
            step = len(values) // ENUM_SAMPLE
            node["enum"] = [v for i, v in enumerate(values) if v == "" or i % step == 0]
        for child in node.values():
            _sample_long_enums(child)
    elif isinstance(node, list):
        for child in node:
            _sample_long_enums(child)


PHASES = ("examples", "coverage", "fuzzing", "stateful")


def run_schemathesis(root: Path, who: str | None, phases: tuple[str, ...] = PHASES) -> list[str]:
    """Every failure Schemathesis finds, one line each (empty when there is none)."""
    env = make_env(root)
    config = SchemathesisConfig.from_dict(
        {
            "seed": 15,
            "checks": CHECKS,
            "headers": env.auth(who) if who else {},
            "generation": {"max-examples": 8, "database": "none"},
            "phases": {name: {"enabled": name in phases} for name in PHASES}
            | {"stateful": {"enabled": "stateful" in phases, "max-steps": 6}},
        }
    )
    loaded = schemathesis.openapi.from_asgi("/api/v1/schema/openapi.json", env.app(), config=config)
    loaded.hook("map_case")(rules_of(env.content))
    _sample_long_enums(loaded.raw_schema)
    # Left out: live streams never end, so no generated case could read an answer whole
    # (test_api_live.py covers them); a sync fetches every project's forge or web page,
    # and the demo's are real sites while no test touches the internet
    # (test_api_sync_jobs.py checks those routes against replayed forges).
    finite = loaded.exclude(path_regex=r"/(stream|sync)$")
    # Anonymous changes are all 401s, which the organiser's runs check already
    # (`ignored_auth` sends each change without its token); reads are what remain.
    schema = finite if who else finite.include(method="GET")
    problems: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, ev.ScenarioFinished | ev.FuzzScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status != Status.SUCCESS and check.failure_info is not None:
                        failure = check.failure_info.failure
                        response = event.recorder.find_response(case_id=case_id)
                        answer = f"{response.status_code} {response.text[:500]}" if response else ""
                        problems.append(
                            f"{failure.operation}: {failure.title}: {failure.message}\n"
                            f"    {check.failure_info.code_sample}\n    -> {answer}"
                        )
                    elif check.status == Status.ERROR:
                        problems.append(f"{event.recorder.label}: check {check.name} errored")
        elif isinstance(event, ev.NonFatalError):
            problems.append(f"error: {event.info.format()}")
        elif isinstance(event, ev.FatalError):
            problems.append(f"fatal error: {event.exception!r}")
        elif isinstance(event, ev.EngineFinished):
            problems += [f"{f.operation}: {f.title}: {f.message}" for f in event.failures]
    return problems


@pytest.mark.parametrize(
    ("who", "phases"),
    [
        (None, PHASES),
        ("organiser", ("coverage",)),
        ("organiser", ("examples", "fuzzing", "stateful")),
    ],
    ids=["anonymous", "organiser-coverage", "organiser-fuzzing-stateful"],
)
def test_the_api_does_what_its_description_says(
    tmp_path: Path, who: str | None, phases: tuple[str, ...]
) -> None:
    problems = run_schemathesis(tmp_path, who, phases)
    assert not problems, "\n".join(problems)


def test_every_check_of_schemathesis_is_enabled() -> None:
    import schemathesis.specs.openapi.checks  # noqa: F401 (registers the OpenAPI checks)

    checks = SchemathesisConfig.from_dict({"checks": CHECKS}).projects.default.checks
    names = REGISTRY.get_all_names()
    assert len(names) > 10
    assert all(checks.get_by_name(name=name).enabled for name in names)
