"""Fuzzing: schemathesis against a real ``tmf683-server`` on SQLite, v4 and v5.

Each version's contract (the v4 swagger and the v5 OAS shipped in the package: the
files the server serves at ``{root}/openapi.json``, tests/test_contract_served.py)
drives schemathesis: for every operation the server serves, Hypothesis draws
``FUZZ_EXAMPLES`` schema-valid requests and as many schema-invalid ones (derandomized,
so a run is the same run every time), then a stateful run chains the operations
through the links schemathesis infers (create -> read, patch, delete). Every response
goes through schemathesis' checks:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance``, ``response_schema_conformance``: the status, the
  content type, the declared headers and the body are the contract's;
- ``negative_data_rejection``: a request the contract forbids gets a 4xx.

``positive_data_acceptance`` is not among them: the swagger's schemas let through
bodies the TMF630 profile refuses (``"direction": ""``, a channel without ``id``, a
callback that is not a URL), and those 400s are the server's documented rules
(docs/server.md), not faults. Failures are collected, not raised at the first one, so
a run reports every distinct fault with a curl line to reproduce it.

``make fuzz`` runs the same test with ``FUZZ_EXAMPLES`` (default 400) for longer runs.
"""

from __future__ import annotations

import collections
import copy
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import ServerProcess
from tmf683.testing import party_interactions
from tmf683.versions import v5contract
from tmf683.versions.contract import shipped_contract

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "90"))
"""Requests drawn per operation and generation mode (schema-valid, schema-invalid)."""
STATEFUL_EXAMPLES = max(10, EXAMPLES // 3)
"""Stateful scenarios per version, each up to ``STATEFUL_STEPS`` linked calls."""
STATEFUL_STEPS = 6
SEEDED = max(10, EXAMPLES // 3)
"""Interactions created with profile-valid bodies before each version's run."""
MIN_REQUESTS_PER_VERSION = 1000
"""The budget of a default run: at least 2,000 requests over the two versions."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
NO_CONTENT_CHECKS = [check for check in CHECKS if check is not content_type_conformance]


def corrected_v4() -> dict[str, Any]:
    """The v4 swagger as loaded by the fuzzer, with its corrections.

    1. ``/listener/*`` is left out: those are the operations a *subscriber* serves
       (``tmf683_falcon.mount_listener``), not ``tmf683-server``.
    2. ``href`` is not required in ``RelatedChannel`` nor ``RelatedParty``: the v4
       profile makes ``channel[].href`` optional on create (the official CTK posts
       ``{"channel": [{"id": "555"}], ...}``, /work/shared/TMF630.md), and the
       server returns a reference as it was sent.
    3. ``PartyInteraction_Create`` requires what the profile requires: ``channel``,
       ``direction`` and ``reason`` (``interactionDate`` and ``status`` are
       optional, TMF630.md "What a create must contain").
    4. An optional attribute may be ``null`` (``x-nullable``): v4 takes a ``null``
       as the attribute left out (docs/server.md, "Requests"), as JSON serialisers
       that write every unset field send it; a required one stays refused.

    Added, as the server's documented extension (docs/server.md): ``GET /hub/{id}``
    (200 with the ``EventSubscription``, 404), so it is fuzzed too.

    The host (``serverRoot``, a placeholder) is replaced by the server's URL through
    schemathesis' ``base_url``, not by editing the file.
    """
    raw = shipped_contract("v4")
    raw["paths"] = {
        path: item
        for path, item in raw["paths"].items()
        if not path.startswith("/listener/")
    }
    hub = raw["paths"]["/hub/{id}"]
    # before DELETE, so that reads of the seeded subscriptions find them
    raw["paths"]["/hub/{id}"] = {
        "get": _get_hub(hub["delete"], "#/definitions/EventSubscription"),
        **hub,
    }
    definitions = raw["definitions"]
    for name in ("RelatedChannel", "RelatedParty"):
        definitions[name]["required"].remove("href")
    definitions["PartyInteraction_Create"]["required"] = [
        "channel",
        "direction",
        "reason",
    ]
    for definition in definitions.values():
        required = set(definition.get("required", ()))
        properties = definition.get("properties", {})
        for name, schema in properties.items():
            if name in required:
                continue
            if "$ref" in schema:
                properties[name] = {"allOf": [schema], "x-nullable": True}
            else:
                schema["x-nullable"] = True
    return raw


def corrected_v5() -> dict[str, Any]:
    """The v5 OAS as loaded by the fuzzer, with its corrections.

    1. ``/listener/*`` is left out, as in v4.
    2. A ``oneOf`` with a ``discriminator`` becomes an ``anyOf``: OpenAPI picks the
       branch the ``@type`` maps to, while JSON Schema's ``oneOf`` (what the fuzzer
       validates with) fails a value valid under two overlapping branches, e.g. an
       ``Attachment`` that is also a valid ``AttachmentRef``. The server reads the
       OAS the OpenAPI way (:mod:`tmf683.versions.v5contract`).
    3. A schema's own ``discriminator`` (one without ``oneOf``, e.g. PartyInteraction,
       which maps only itself) is dropped: read strictly it forbids the TMF subclass
       pattern the OAS describes for ``@type`` and ``@schemaLocation`` (a subclass
       ``@type`` with the ``@schemaLocation`` of its schema), which the server
       accepts; the server's own rule (a known ``@type``, or any with a
       ``@schemaLocation``) is tested in tests/test_v5_http.py.

    Added, as in v4: ``GET /hub/{id}`` (200 with the ``Hub``, 404).

    The faults /work/shared/V5.md lists are all in ``example`` values
    (``lastUpdateDate``, ``ongoing``, ``inbounds``, ``PArtyRef``, ``ProductOrder``,
    ``op: delete``); the fuzzer draws from the schemas, never from the examples, so
    none needs patching.
    The ``servers`` placeholder is replaced through ``base_url``, as in v4.
    """
    raw = copy.deepcopy(v5contract.oas())
    raw["paths"] = {
        path: item
        for path, item in raw["paths"].items()
        if not path.startswith("/listener/")
    }
    hub = raw["paths"]["/hub/{id}"]
    raw["paths"]["/hub/{id}"] = {
        "get": _get_hub(hub["delete"], "#/components/schemas/Hub", oas3=True),
        **hub,
    }
    corrected: dict[str, Any] = _discriminated_any_of(raw)
    return corrected


def _get_hub(delete: dict[str, Any], schema: str, oas3: bool = False) -> dict[str, Any]:
    """``GET /hub/{id}`` from the contract's ``DELETE /hub/{id}``: same id, a body."""
    get = copy.deepcopy(delete)
    get["operationId"] = "retrieveHub"
    ok: dict[str, Any] = {"description": "OK", "schema": {"$ref": schema}}
    if oas3:
        ok = {
            "description": "OK",
            "content": {"application/json": {"schema": ok["schema"]}},
        }
    errors = {
        code: answer
        for code, answer in get["responses"].items()
        if not code.startswith("2")
    }
    get["responses"] = {"200": ok, **errors}
    return get


def _discriminated_any_of(node: Any) -> Any:
    if isinstance(node, list):
        return [_discriminated_any_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _discriminated_any_of(value) for key, value in node.items()}
    if "discriminator" in result:
        if "oneOf" in result:
            result["anyOf"] = result.pop("oneOf")
        else:
            del result["discriminator"]
    return result


@dataclass
class Findings:
    """What a fuzzing run sent and what failed, by operation."""

    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    statuses: collections.Counter[tuple[str, int]] = field(
        default_factory=collections.Counter
    )
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def send(self, case: Any) -> None:
        """Send ``case`` and check the response; nothing is raised.

        A request that gets no response (refused, reset, timed out) is a finding
        like a failed check. Raising it inside a Hypothesis run would make
        Hypothesis replay the case to shrink it, against a server whose state has
        moved on: in a stateful run the replay then draws differently and the run
        ends in ``FlakyStrategyDefinition``, which hides the fault.
        """
        try:
            response = case.call()
        except Exception as exc:
            self.unanswered(case, exc)
            return
        self.check(case, response)

    def unanswered(self, case: Any, exc: Exception) -> None:
        """Record a request that got no response (or whose check crashed)."""
        label = f"{case.method} {case.path}"
        self.requests[label] += 1
        self.failures.setdefault(
            (label, f"no response: {type(exc).__name__}"),
            f"{exc}\nreproduce: {case.as_curl_command()}",
        )

    def check(self, case: Any, response: schemathesis.Response) -> None:
        label = f"{case.method} {case.path}"
        self.requests[label] += 1
        self.statuses[(label, response.status_code)] += 1
        # a 204 has no body, so no Content-Type (RFC 9110), whatever the swagger's
        # document-wide "produces" says
        checks = CHECKS if response.status_code != 204 else NO_CONTENT_CHECKS
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (label, getattr(failure, "title", type(failure).__name__))
                self.failures.setdefault(
                    key,
                    f"{failure}\n[{response.status_code}] {response.text[:500]}\n"
                    f"reproduce: {case.as_curl_command()}",
                )
        except Exception as exc:
            # a check that crashes on a response is a finding, not a replay
            self.failures.setdefault(
                (label, f"check crashed: {type(exc).__name__}"),
                f"{exc}\n[{response.status_code}] {response.text[:500]}\n"
                f"reproduce: {case.as_curl_command()}",
            )

    def report(self) -> str:
        return "\n\n".join(
            f"{label}: {title}\n{detail}"
            for (label, title), detail in sorted(self.failures.items())
        )


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _for_id(operation: Any, mode: GenerationMode, id: str) -> Any:
    return operation.as_strategy(generation_mode=mode, path_parameters={"id": id})


def fuzz_operations(
    schema: Any, findings: Findings, ids: dict[str, list[str]] | None = None
) -> None:
    """Draw ``EXAMPLES`` valid and invalid requests for every operation.

    With ``ids`` (path -> ids), the ``{id}`` of those paths is one of the given ids
    (stored interactions and subscriptions, so that reads, patches and deletes reach
    a document), and the other operations are left out (the pass without ``ids``
    sends them).
    """
    for result in schema.get_all_operations():
        operation = result.ok()
        if ids is not None and operation.path not in ids:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = operation.as_strategy(generation_mode=mode)
            if ids is not None:
                cases = st.sampled_from(ids[operation.path]).flatmap(
                    functools.partial(_for_id, operation, mode)
                )

            @SETTINGS
            @given(case=cases)
            def send(case: Any) -> None:
                findings.send(case)

            try:
                send()
            except hypothesis.errors.Unsatisfiable:
                # No schema-invalid request exists for a DELETE whose only input is
                # a string path id: nothing to send.
                assert mode is GenerationMode.NEGATIVE, operation.label


def wipe(base: str) -> None:
    """Delete every stored interaction through the API at ``base`` (a v4 root).

    Each stateful scenario starts from this empty store: Hypothesis replays and
    extends earlier scenarios and requires that the same choices draw the same
    steps, which holds only when the responses (and so the bundles a rule draws
    from) do not depend on what earlier scenarios left behind.
    """
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(100):
            listed = client.get("partyInteraction", params={"fields": "id"})
            assert listed.status_code == 200, listed.text
            if not listed.json():
                return
            for item in listed.json():
                gone = client.delete(f"partyInteraction/{item['id']}")
                assert gone.status_code in (204, 404), gone.text
    raise AssertionError(f"{base}partyInteraction is still not empty")


def fuzz_stateful(schema: Any, findings: Findings, base: str) -> None:
    """Chain operations through the links schemathesis infers from the schema.

    Every scenario starts on an empty store (:func:`wipe` of the v4 root ``base``).
    """

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            wipe(base)

        def step(self, input):
            # a request without response ends this step only: no link follows it
            try:
                return super().step(input)
            except Exception as exc:
                findings.unanswered(input.case, exc)
                return None

        def validate_response(self, response, case, **kwargs) -> None:
            findings.check(case, response)

    Machine.run(
        settings=hypothesis.settings(
            SETTINGS,
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
        )
    )


def seed(
    server: ServerProcess, version: str, findings: Findings
) -> dict[str, list[str]]:
    """Create ``SEEDED`` interactions and subscriptions the server accepts.

    Interactions through v4, with :func:`tmf683.testing.party_interactions` bodies
    (valid under the TMF630 profile, unlike most schema-valid ones), so the 201s,
    and in the v5 pass the v5 view of v4-written documents, are checked against the
    contract too; subscriptions through ``version``'s own hub (each version's hub
    sees only its own), to a loopback callback that is never called.

    Returns:
        ``{"/partyInteraction/{id}": ids, "/hub/{id}": ids}``.
    """
    schema = schemathesis.openapi.from_dict(corrected_v4())
    schema.config.update(base_url=server.bases["v4"].rstrip("/"))
    create = schema["/partyInteraction"]["POST"]
    ids: list[str] = []

    @hypothesis.settings(SETTINGS, max_examples=SEEDED)
    @given(body=party_interactions())
    def send(body: dict[str, Any]) -> None:
        # known fault, left to its own test below: a v4 relationship without id
        for number, relationship in enumerate(body.get("interactionRelationship", [])):
            relationship.setdefault("id", f"R{number}")
        case = create.Case(body=body, media_type="application/json")
        response = case.call()
        findings.check(case, response)
        if response.status_code == 201:
            ids.append(response.json()["id"])

    send()
    assert ids, findings.statuses
    own = schemathesis.openapi.from_dict(LOADERS[version]())
    own.config.update(base_url=server.bases[version].rstrip("/"))
    register = own["/hub"]["POST"]
    hubs: list[str] = []
    for number in range(SEEDED):
        body: dict[str, Any] = {"callback": f"http://127.0.0.1:9/listener/{number}"}
        if version == "v5":
            body["@type"] = "Hub"
        case = register.Case(body=body, media_type="application/json")
        response = case.call()
        findings.check(case, response)
        assert response.status_code == 201, response.text
        hubs.append(response.json()["id"])
    return {"/partyInteraction/{id}": ids, "/hub/{id}": hubs}


LOADERS = {"v4": corrected_v4, "v5": corrected_v5}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    # no dispatcher: fuzzed callbacks are never called (the hub's delivery rules are
    # tested in test_hub_http.py); the outbox still records every event
    with ServerProcess("--db", str(db), "--no-dispatcher") as process:
        yield process


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(LOADERS))
def test_fuzzing_finds_no_server_error_nor_contract_violation(server, version):
    schema = schemathesis.openapi.from_dict(LOADERS[version]())
    schema.config.update(base_url=server.bases[version].rstrip("/"))
    schema.config.generation.update(deterministic=True)
    findings = Findings()
    fuzz_operations(schema, findings)
    fuzz_operations(schema, findings, ids=seed(server, version, findings))
    before = sum(findings.requests.values())
    fuzz_stateful(schema, findings, server.bases["v4"])
    stateful = sum(findings.requests.values()) - before
    assert stateful >= STATEFUL_EXAMPLES, stateful
    total = sum(findings.requests.values())
    print(
        f"\n{version}: {total} requests ({stateful} stateful);",
        dict(sorted(findings.statuses.items())),
    )
    assert not findings.failures, findings.report()
    assert total >= min(MIN_REQUESTS_PER_VERSION, 15 * EXAMPLES), findings.requests
    assert server.process.poll() is None, "".join(server.log)


def test_known_limit_a_v4_relationship_without_id_shows_in_v5_without_it(tmp_path):
    """The documented limit (docs/v5.md, "A migration"), found again by fuzzing: v4
    lets an interactionRelationship omit id, which the v5 InteractionRelationship
    (an EntityRef) requires; the v5 view shows the element as it is. This test
    holds the limit to exactly that response; fixing it means changing it."""
    schema = schemathesis.openapi.from_dict(corrected_v5())
    with ServerProcess("--db", str(tmp_path / "t.db"), "--no-dispatcher") as server:
        created = httpx.post(
            server.bases["v4"] + "partyInteraction",
            json={
                "channel": [{"id": "555"}],
                "direction": "inbound",
                "reason": "r",
                "interactionRelationship": [{"relationshipType": "follows"}],
            },
        )
        assert created.status_code == 201
        schema.config.update(base_url=server.bases["v5"].rstrip("/"))
        case = schema["/partyInteraction/{id}"]["GET"].Case(
            path_parameters={"id": created.json()["id"]}
        )
        response = case.call()
        assert response.json()["interactionRelationship"] == [
            {"relationshipType": "follows", "@type": "InteractionRelationship"}
        ]
        with pytest.raises(FailureGroup):
            case.validate_response(response, checks=[response_schema_conformance])
