"""Versions and ``if_match`` in the library, v4 and v5, on every store."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL
from tmf683 import (
    NotFoundError,
    PartyInteractionServiceV5,
    PreconditionFailedError,
    VersionedDocument,
)


def test_what_the_services_return_carries_the_shared_version(service):
    v5 = PartyInteractionServiceV5(service)
    made = service.create(MINIMAL)
    assert isinstance(made, VersionedDocument)
    assert made.version == 1
    assert service.retrieve(made["id"]).version == 1
    assert v5.retrieve(made["id"], fields="status").version == 1
    patched = v5.patch(made["id"], {"description": "x"}, if_match=1)
    assert patched.version == 2
    assert service.retrieve(made["id"]).version == 2
    assert service.patch(made["id"], {"status": "done"}, if_match=2).version == 3
    assert v5.create(_v5_body()).version == 1
    assert [d.version for d in service.create_many([MINIMAL, MINIMAL])] == [1, 1]


def _v5_body():
    return {
        "@type": "PartyInteraction",
        "reason": "r",
        "direction": "inbound",
        "relatedChannel": [
            {
                "@type": "RelatedChannel",
                "role": "interactionChannel",
                "channel": {"@type": "ChannelRef", "id": "1"},
            }
        ],
    }


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_a_stale_if_match_refuses_patch_and_delete(service, version):
    api = service if version == "v4" else PartyInteractionServiceV5(service)
    id = service.create(MINIMAL)["id"]
    read = api.retrieve(id)
    api.patch(id, {"description": "first"}, if_match=read.version)
    with pytest.raises(PreconditionFailedError) as refused:
        api.patch(id, {"description": "second"}, if_match=read.version)
    assert (refused.value.id, refused.value.version) == (id, 2)
    with pytest.raises(PreconditionFailedError):
        api.delete(id, if_match=read.version)
    assert api.retrieve(id)["description"] == "first"
    assert api.patch(id, {"description": "star"}, if_match="*").version == 3
    assert api.patch(id, {"description": "any"}, if_match=[9, 3]).version == 4
    api.delete(id, if_match=4)
    with pytest.raises(NotFoundError):
        api.delete(id, if_match="*")


@pytest.mark.parametrize("wrong", ["7", '"7"', 1.0, True, [1, "2"], object()])
def test_if_match_takes_versions_star_or_none(service, wrong):
    id = service.create(MINIMAL)["id"]
    with pytest.raises(TypeError, match="if_match"):
        service.patch(id, {"description": "x"}, if_match=wrong)
    with pytest.raises(TypeError, match="if_match"):
        service.delete(id, if_match=wrong)
    assert service.retrieve(id).version == 1


def test_a_refused_patch_raises_no_in_process_event(service):
    seen: list[dict[str, object]] = []
    service.events.subscribe(seen.append)
    id = service.create(MINIMAL)["id"]
    with pytest.raises(PreconditionFailedError):
        service.patch(id, {"status": "x"}, if_match=5)
    service.events.close()
    assert [e["eventType"] for e in seen] == ["PartyInteractionCreateEvent"]


def test_a_versioned_document_is_a_dict_with_a_version():
    document = VersionedDocument({"id": "A"}, 3)
    assert document == {"id": "A"}
    assert dict(document) == {"id": "A"}
    assert document.version == 3
    assert repr(document) == "{'id': 'A'}"  # pprint shows it as the dict it is
