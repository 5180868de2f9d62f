"""tmf683-server's API versions: both by default over one store, one alone, moved."""

import httpx
import pytest

from tests.servers import ServerProcess
from tests.test_cli import run_until_exit
from tests.test_v5_http import V5_BODY, valid_error, valid_interaction

pytestmark = pytest.mark.slow

V4_PATH = "/tmf-api/partyInteraction/v4/"
V5_PATH = "/tmf-api/partyInteractionManagement/v5/"


def test_serves_v4_and_v5_over_one_store_by_default(tmp_path):
    with ServerProcess("--db", str(tmp_path / "both.db")) as server:
        assert set(server.bases) == {"v4", "v5"}
        assert server.base == server.bases["v4"]
        assert server.bases["v4"].endswith(V4_PATH)
        assert server.bases["v5"].endswith(V5_PATH)
        created = httpx.post(f"{server.bases['v5']}partyInteraction", json=V5_BODY)
        assert created.status_code == 201
        id = valid_interaction(created.json())["id"]
        as_v4 = httpx.get(f"{server.bases['v4']}partyInteraction/{id}")
        assert as_v4.json()["channel"][0]["id"] == "555"
        listed = httpx.get(
            f"{server.bases['v5']}partyInteraction?relatedChannel.channel.id=555"
        )
        assert [item["id"] for item in listed.json()] == [id]
        missing = httpx.get(f"{server.bases['v5']}partyInteraction/nope")
        valid_error(missing, 404, "notFound")


def test_serves_both_on_postgres(postgres_databases):
    with ServerProcess("--db", postgres_databases.create()) as server:
        # the first v5 body compiles the OAS validators: give a loaded machine time
        created = httpx.post(
            f"{server.bases['v5']}partyInteraction", json=V5_BODY, timeout=60
        )
        id = created.json()["id"]
        patched = httpx.patch(
            f"{server.bases['v4']}partyInteraction/{id}",
            json=[{"op": "replace", "path": "/channel?id=555/role", "value": "x"}],
            headers={"Content-Type": "application/json-patch-query+json"},
        )
        assert patched.status_code == 200
        seen = httpx.get(f"{server.bases['v5']}partyInteraction/{id}").json()
        assert valid_interaction(seen)["relatedChannel"][0]["role"] == "x"


@pytest.mark.parametrize(
    ("versions", "served", "absent"), [("v5", "v5", "v4"), ("v4", "v4", "v5")]
)
def test_versions_serves_one_alone(versions, served, absent):
    with ServerProcess("--db", "memory:", "--versions", versions) as server:
        assert set(server.bases) == {served}
        root = server.base.split("/tmf-api/")[0]
        assert server.base.endswith(V5_PATH if served == "v5" else V4_PATH)
        absent_path = V5_PATH if absent == "v5" else V4_PATH
        gone = httpx.get(f"{root}{absent_path}partyInteraction")
        assert gone.status_code == 404
        assert "@type" not in gone.json()  # no v5 API there
        assert httpx.get(f"{server.base}partyInteraction").status_code == 200
        assert f"serving TMF683 {absent}" not in "".join(server.log)


def test_base_path_options_move_each_api(tmp_path):
    with ServerProcess(
        "--db",
        "memory:",
        "--v4-base-path",
        "bss/four/",
        "--v5-base-path",
        "/bss/five",
        "--base-url",
        "https://api.example.com",
    ) as server:
        assert server.bases["v4"].endswith("/bss/four/")
        assert server.bases["v5"].endswith("/bss/five/")
        created = httpx.post(f"{server.bases['v5']}partyInteraction", json=V5_BODY)
        id = created.json()["id"]
        assert created.headers["location"] == (
            f"https://api.example.com/bss/five/partyInteraction/{id}"
        )
        as_v4 = httpx.get(f"{server.bases['v4']}partyInteraction/{id}").json()
        assert (
            as_v4["href"] == f"https://api.example.com/bss/four/partyInteraction/{id}"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--versions", "v6"], "is not a list of versions among v4, v5"),
        (["--versions", ","], "is not a list of versions"),
        (["--v5-base-path", "/tmf-api/partyInteraction/v4/"], "must differ"),
    ],
)
def test_bad_version_options_exit_2_with_a_message(args, message):
    code, stderr = run_until_exit("--port", "0", "--db", "memory:", *args)
    assert code == 2
    assert message in stderr


def test_equal_base_paths_are_fine_when_one_version_is_served():
    with ServerProcess(
        "--db", "memory:", "--versions", "v5", "--v5-base-path", V4_PATH
    ) as server:
        assert server.bases["v5"].endswith(V4_PATH)
        created = httpx.post(f"{server.base}partyInteraction", json=V5_BODY)
        assert created.status_code == 201
