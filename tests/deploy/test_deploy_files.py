"""The deployment files in ``deploy/`` hold together, as far as a machine without a container engine can tell.

No image is built and no container runs here (no Docker or Podman daemon): these tests check what can be
checked without one. Every YAML file parses; every ``AZUR_*`` variable they set is a real setting of
:class:`azur.config.Settings` (so renaming a setting breaks this test, not a production rollout); every
``azur`` command line parses with the real CLI; compose services, Kubernetes objects and the Containerfiles
reference things that exist (images, secrets, volumes, files, extras, routes); ``kubectl kustomize`` renders
``deploy/k8s`` when kubectl is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from azur.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
# Read by config.py itself rather than a field: the TOML file's path.
NOT_FIELDS = {"AZUR_CONFIG"}
# Settings of issue 16's object storage and shared identity, built on another branch at the same time: tolerated
# while this branch's Settings lacks them. Once both branches are merged, delete this set (they must resolve).
PENDING_SETTINGS = {"AZUR_STORAGE_URL", "AZUR_S3_ENDPOINT_URL", "AZUR_PROVENANCE__KEY_FILE",
                    "AZUR_PROVENANCE__CERT_FILE"}
AZUR_VARIABLE = re.compile(r"\bAZUR_[A-Z0-9_]*[A-Z0-9]")


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file() and "secrets" not in p.parts)


def yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def compose() -> dict:
    return yaml_documents(DEPLOY / "compose.yaml")[0]


def k8s_objects() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml_documents(path)]


def is_setting(name: str) -> bool:
    """Whether ``AZUR_A__B`` names a field of Settings (``a``), nested model fields included (``a.b``)."""
    if name in NOT_FIELDS:
        return True
    model: type[BaseModel] = Settings
    parts = name.removeprefix("AZUR_").lower().split("__")
    while parts:
        field = model.model_fields.get(parts.pop(0))
        if field is None:
            return False
        if not parts:
            return True
        annotation = field.annotation
        if typing.get_origin(annotation) is dict:
            parts.pop(0)  # a key the operator names ([plans.school], [models.NAME]): any goes
            annotation = typing.get_args(annotation)[1]
            if not parts:
                return True
        nested = [a for a in (annotation, *typing.get_args(annotation))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return False
        model = nested[0]
    return True


def check_command(argv: list[str]) -> None:
    """Parse ``argv`` (``["azur", ...]``) with the real CLI, as running it would, without running it."""
    from typer.main import get_command

    from azur.cli.main import app

    assert argv[0] == "azur", argv
    command = get_command(app)  # a Click command (Typer may bring its own copy of Click: duck-typed here)
    args = list(argv[1:])
    while hasattr(command, "commands") and args and args[0] in command.commands:
        command = command.commands[args.pop(0)]
    assert not hasattr(command, "commands"), f"{' '.join(argv)}: not a command"
    try:
        command.make_context("azur", args)
    except Exception as exc:  # Click's usage errors: unknown option, bad value, missing argument
        message = exc.format_message() if hasattr(exc, "format_message") else repr(exc)
        raise AssertionError(f"{' '.join(argv)}: {message}") from None


def app_paths() -> set[str]:
    from azur.api.app import create_app

    return set(create_app(Settings()).openapi()["paths"])


# ---- every file -------------------------------------------------------------------------------------------

def test_every_yaml_file_parses_and_the_files_are_there() -> None:
    yamls = [p for p in deploy_files() if p.suffix in (".yaml", ".yml")]
    assert {p.name for p in yamls} >= {"compose.yaml", "kustomization.yaml", "api.yaml", "worker-gpu.yaml",
                                       "configmap.yaml", "secret-signing.yaml"}
    for path in yamls:
        assert yaml_documents(path), f"{path} is empty"
    assert (DEPLOY / "Containerfile").is_file() and (DEPLOY / "Containerfile.cuda").is_file()


def test_the_command_check_can_fail() -> None:
    check_command(["azur", "worker", "--model", "wan-1.3b", "--metrics-port", "9100"])
    for wrong in (["azur", "worker", "--metric-port", "9100"], ["azur", "serve", "--workers", "-1"],
                  ["azur", "serv"], ["azur", "models"]):
        with pytest.raises(AssertionError):
            check_command(wrong)


def test_the_setting_check_can_fail() -> None:
    assert is_setting("AZUR_SERVER__PORT") and is_setting("AZUR_LOG_FORMAT") and is_setting("AZUR_HOME")
    assert is_setting("AZUR_PLANS__SCHOOL__NAME")  # a dict of plans: the operator names the key
    assert not is_setting("AZUR_SERVER__PORTS") and not is_setting("AZUR_LOGFORMAT")
    assert not is_setting("AZUR_QUEUE__LEASE_SECONDS__X")


def test_every_azur_variable_in_deploy_is_a_real_setting() -> None:
    used: dict[str, set[str]] = {}
    for path in deploy_files():
        for name in AZUR_VARIABLE.findall(path.read_text()):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    fleet = (ROOT / "README.md").read_text().split("## Run a fleet", 1)[1].split("\n## ", 1)[0]
    for name in AZUR_VARIABLE.findall(fleet):
        used.setdefault(name, set()).add("README.md (Run a fleet)")
    assert len(used) >= 8, used  # the files do set Azur's settings
    unknown = {name: sorted(files) for name, files in used.items()
               if not is_setting(name) and name not in PENDING_SETTINGS}
    assert not unknown, f"not settings of azur.config.Settings: {unknown}"
    # A pending name that is a real setting already may leave the pending set: say so once merged.
    assert all(name in used for name in PENDING_SETTINGS)


# ---- compose ----------------------------------------------------------------------------------------------

def test_compose_services_reference_what_exists() -> None:
    spec = compose()
    services = spec["services"]
    assert {"api", "worker", "postgres", "minio"} <= set(services)
    built = {}
    for name, service in services.items():
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT, name
            assert (context / service["build"]["dockerfile"]).is_file(), name
            built[service["image"]] = name
    for name, service in services.items():
        image = service.get("image", "")
        if image.startswith("azur:"):
            assert image in built, f"{name} uses {image}, which no service builds"
        else:
            assert re.fullmatch(r"[\w.\-/]+:[\w.\-]+", image), f"{name}: pin the image's tag ({image!r})"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for secret in service.get("secrets", []):
            assert secret in spec["secrets"], (name, secret)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in spec["volumes"], (name, source)
        command = service.get("command")
        if isinstance(command, list) and command[0] == "azur":
            check_command(command)
    for secret in spec["secrets"].values():
        assert secret["file"].startswith("./secrets/")  # made by the operator (deploy/README.md), never committed


def test_compose_api_and_workers_share_one_configuration() -> None:
    services = compose()["services"]
    env = services["api"]["environment"]
    assert env["AZUR_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["AZUR_DATABASE_URL"]
    assert env["AZUR_STORAGE_URL"].startswith("s3://") and env["AZUR_S3_ENDPOINT_URL"] == "http://minio:9000"
    for name in ("worker", "worker-gpu"):
        assert services[name]["environment"] == env, name  # the same database, bucket and signing key
    assert services["api"]["command"][:4] == ["azur", "serve", "--workers", "0"]  # jobs run on the workers
    probe = " ".join(services["api"]["healthcheck"]["test"])
    assert "/readyz" in probe and "/readyz" in app_paths()
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]


# ---- Kubernetes -------------------------------------------------------------------------------------------

def test_kustomization_lists_every_manifest() -> None:
    listed = yaml_documents(K8S / "kustomization.yaml")[0]["resources"]
    present = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == present


def test_k8s_objects_reference_each_other_consistently() -> None:
    objects = k8s_objects()
    for obj in objects:
        assert obj.get("apiVersion") and obj.get("kind") and obj["metadata"].get("name"), obj
    named = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    deployments = [obj for obj in objects if obj["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"azur-api", "azur-worker-gpu"}
    routes = app_paths()
    for deployment in deployments:
        template = deployment["spec"]["template"]
        labels = template["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        pod = template["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for volume in volumes.values():
            if "secret" in volume:
                assert ("Secret", volume["secret"]["secretName"]) in named
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in named
        for container in pod["containers"]:
            check_command(container["command"])
            for source in container["envFrom"]:
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in named
                if "secretRef" in source:
                    assert ("Secret", source["secretRef"]["name"]) in named
            for mount in container["volumeMounts"]:
                assert mount["name"] in volumes
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in container:
                    action = container[probe].get("httpGet") or container[probe].get("tcpSocket")
                    assert action["port"] in ports, (container["name"], probe)
                    if "path" in action:
                        assert action["path"] in routes, action
            annotations = template["metadata"].get("annotations", {})
            if annotations.get("prometheus.io/scrape") == "true":
                assert int(annotations["prometheus.io/port"]) in ports.values()

    signing = named[("Secret", "azur-signing")]["stringData"]
    config = named[("ConfigMap", "azur-config")]["data"]
    for key in ("AZUR_PROVENANCE__KEY_FILE", "AZUR_PROVENANCE__CERT_FILE"):
        folder, _, file = config[key].rpartition("/")
        assert file in signing  # the file the setting names is a key of the mounted secret
        for deployment in deployments:
            mounts = deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
            assert any(m["mountPath"] == folder and m["name"] == "signing" for m in mounts)


def test_k8s_api_service_and_gpu_worker() -> None:
    named = {(obj["kind"], obj["metadata"]["name"]): obj for obj in k8s_objects()}
    service = named[("Service", "azur-api")]
    api = named[("Deployment", "azur-api")]["spec"]["template"]
    assert service["spec"]["selector"].items() <= api["metadata"]["labels"].items()
    port_names = {p["name"] for p in api["spec"]["containers"][0]["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])
    assert api["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] == "/healthz"

    worker = named[("Deployment", "azur-worker-gpu")]["spec"]["template"]["spec"]
    resources = worker["containers"][0]["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == 1 and resources["limits"]["nvidia.com/gpu"] == 1
    command = worker["containers"][0]["command"]
    assert command[:2] == ["azur", "worker"] and "--model" in command and "--metrics-port" in command
    assert worker["terminationGracePeriodSeconds"] >= 30  # room to hand the running job back


def test_kubectl_kustomize_renders_the_manifests() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here")
    rendered = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(rendered.stdout) if doc)
    assert kinds.count("Deployment") == 2 and "Service" in kinds and kinds.count("Secret") == 2
    namespaced = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc and doc["kind"] != "Namespace"]
    assert all(doc["metadata"]["namespace"] == "azur" for doc in namespaced)


# ---- Containerfiles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Containerfile", "Containerfile.cuda"])
def test_containerfiles_copy_real_files_install_real_extras_and_run_real_commands(name: str) -> None:
    text = (DEPLOY / name).read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            for source in words[1:-1]:
                assert (ROOT / source).exists(), f"{name}: COPY {source}: no such file"
        if line.startswith("ARG EXTRAS="):
            for extra in line.split("=", 1)[1].split(","):
                assert extra in extras, f"{name}: no extra '{extra}' in pyproject.toml"
        if line.startswith("CMD "):
            check_command(json.loads(line[4:]))
    assert "USER azur" in text and "STOPSIGNAL SIGTERM" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "deploy/secrets" in ignored  # never in an image
    if name.endswith(".cuda"):
        pinned = re.search(r"^torch==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
        assert pinned and "sed -n 's/^torch==//p' constraints.txt" in text


def test_the_readme_fleet_commands_are_real_commands() -> None:
    import shlex

    fleet = (ROOT / "README.md").read_text().split("## Run a fleet", 1)[1].split("\n## ", 1)[0]
    commands = [shlex.split(line, comments=True) for line in fleet.splitlines() if line.startswith("azur ")]
    assert len(commands) >= 3
    for argv in commands:
        check_command(argv)
