"""Offline checks of the deployment files: Dockerfile, .dockerignore, compose.yaml and deploy/.

There is no container runtime here, so every file is checked with the tool its format has:
kubernetes-validate (the official Kubernetes schemas), check-jsonschema (the compose-spec schema),
hadolint (Dockerfile), the real ``nginx -t`` and a real nginx serving the config in a network
namespace of its own (routing), ``promtool`` (alert rules and their unit tests). On top, the rules
that matter are asserted here: only two Rasa paths are public, who may reach whom, probes,
resources, secrets only from the environment.

The Python validators get a venv of their own in models/cache/deploy-tools, installed from
deploy/validate-requirements.txt on first use (kubernetes-validate needs a newer jsonschema than
Rasa 3.6 allows); JENABOT_DEPLOY_TOOLS=DIR uses an existing venv instead. nginx and promtool are
Debian packages (``apt-get install nginx prometheus``). Each test skips and says why when its tool
is missing.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import ROOT, env_table

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_CONF = DEPLOY / "nginx" / "jenabot.conf"
ENV_EXAMPLE = DEPLOY / "env.example"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
RUNBOOK = ROOT / "docs" / "operations.md"
TOOLS_REQUIREMENTS = DEPLOY / "validate-requirements.txt"
TOOLS_VENV = ROOT / "models" / "cache" / "deploy-tools"

ROLES = ("gateway", "rasa", "actions")
PORTS = {"gateway": 8000, "rasa": 5005, "actions": 5055}
# (startup, liveness, readiness) probe paths of each role
PROBES = {
    "gateway": ("/healthz", "/healthz", "/readyz"),
    "rasa": ("/", "/", "/"),
    "actions": ("/health", "/health", "/health"),
}
MEASURED_BYTES = {"gateway": 0.1e9, "rasa": 3.0e9, "actions": 2.6e9}  # resident memory measured per process
HEADROOM = 1.3  # memory limit at least 30 % above the measured figure
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # oldest supported, newest schema bundled

# Settings the deployment sets that bot/settings.py does not declare yet: the target design of the
# "operations" issue. Remove a name once the code declares it; then a typo in a file fails here.
NEW_SETTINGS = {
    "JENABOT_REDIS_URL",
    "JENABOT_LOG_FORMAT",
    "JENABOT_THREADS",
}
PROCESS_ENV = {"HF_HUB_OFFLINE", "OMP_NUM_THREADS"}  # read by libraries, not by our settings
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|AUTH|_KEY$|DATABASE_URL|REDIS_URL")


# --- tools -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tools() -> Path:
    """bin/ of the validators' venv (created once per version of deploy/validate-requirements.txt)."""
    configured = os.environ.get("JENABOT_DEPLOY_TOOLS")
    if configured:
        return Path(configured) / "bin"
    want = hashlib.sha256(TOOLS_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = TOOLS_VENV / ".requirements-sha256"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == want:
        return TOOLS_VENV / "bin"
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(TOOLS_VENV)],
        [str(TOOLS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(TOOLS_REQUIREMENTS)],
    ]
    for cmd in steps:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            pytest.skip(f"Prüfwerkzeuge aus {TOOLS_REQUIREMENTS.name}: Installation dauerte zu lange")
        if done.returncode != 0:
            pytest.skip(
                f"Prüfwerkzeuge aus {TOOLS_REQUIREMENTS.name} nicht installierbar (PyPI erreichbar?): "
                f"{done.stderr.strip()[-500:]}"
            )
    stamp.write_text(want, encoding="utf-8")
    return TOOLS_VENV / "bin"


def _tool(bin_dir: Path, name: str) -> str:
    path = bin_dir / name
    if not path.exists():
        pytest.skip(f"{name} fehlt in {bin_dir}")
    return str(path)


def _which(name: str) -> str | None:
    """On PATH, or in /usr/sbin (not on every user's PATH), where Debian puts nginx and ip."""
    return shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)


def _system_tool(name: str, package: str) -> str:
    path = _which(name)
    if path is None:
        pytest.skip(f"{name} fehlt (Debian: apt-get install {package})")
    return path


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)


# --- Kubernetes --------------------------------------------------------------------------------


def _manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _manifests() -> list[dict[str, Any]]:
    return [doc for path in _manifest_files() for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _manifests() if doc["kind"] == kind}


def _component(labels: dict[str, str] | None) -> str | None:
    return (labels or {}).get("app.kubernetes.io/component")


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def _bytes(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", quantity)
    assert match, quantity
    return float(match.group(1)) * units.get(match.group(2) or "", 1)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_match_the_official_schemas(tools: Path, version: str) -> None:
    done = _run(
        [_tool(tools, "kubernetes-validate"), "--strict", "--quiet", "-k", version, *map(str, _manifest_files())]
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in _manifest_files() if p.name != "secret.example.yaml"
    )
    (image,) = {_container(d)["image"].split(":")[0] for d in _of_kind("Deployment").values()}
    assert [i["name"] for i in kustomization["images"]] == [image]


def test_kustomize_renders_valid_manifests(tools: Path, tmp_path: Path) -> None:
    kubectl = _system_tool("kubectl", "kubectl")
    done = _run([kubectl, "kustomize", str(K8S)])
    assert done.returncode == 0, done.stderr
    rendered = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert {(d["kind"], d["metadata"]["name"]) for d in rendered} == {
        (d["kind"], d["metadata"]["name"]) for d in _manifests() if d["kind"] != "Secret"
    }
    assert all(d["metadata"].get("namespace", "jenabot") == "jenabot" for d in rendered)
    (tmp_path / "rendered.yaml").write_text(done.stdout, encoding="utf-8")
    check = _run([_tool(tools, "kubernetes-validate"), "--strict", "--quiet", str(tmp_path / "rendered.yaml")])
    assert check.returncode == 0, check.stdout + check.stderr


def _ingress_routes() -> set[tuple[str, str, str]]:
    return {
        (path["path"], path["pathType"], path["backend"]["service"]["name"])
        for ingress in _of_kind("Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }


def test_ingress_exposes_the_gateway_and_exactly_two_rasa_paths() -> None:
    routes = _ingress_routes()
    assert {(p, t) for p, t, s in routes if s == "rasa"} == {
        ("/webhooks/telegram/webhook", "Exact"),
        ("/socket.io", "Prefix"),
    }
    assert {(p, t) for p, t, s in routes if s == "gateway"} == {("/", "Prefix")}
    assert {(p, s) for p, _, s in routes if s not in ("rasa", "gateway")} == {
        ("/metrics", "not-public"),
        ("/api/internal", "not-public"),
    }
    assert "selector" not in _of_kind("Service")["not-public"]["spec"]  # no endpoints: refused
    assert all(ingress["spec"].get("tls") for ingress in _of_kind("Ingress").values())


def test_no_service_is_reachable_from_outside_but_through_the_ingress() -> None:
    types = {name: svc["spec"].get("type", "ClusterIP") for name, svc in _of_kind("Service").items()}
    assert set(types.values()) == {"ClusterIP"}, types


def _peer(peer: dict[str, Any]) -> str:
    """A NetworkPolicy peer as a short name: ns:NAME, pod:COMPONENT, or both joined with '+'."""
    parts = []
    if "namespaceSelector" in peer:
        parts.append("ns:" + peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    if "podSelector" in peer:
        selector = peer["podSelector"]
        labels = selector.get("matchLabels", {})
        components = [_component(labels)] if _component(labels) else []
        for expression in selector.get("matchExpressions", []):
            components += expression["values"]
        parts += [f"pod:{c}" for c in components] or [f"pod:{k}={v}" for k, v in labels.items()]
    return "+".join(parts)


def _peers(rules: list[dict[str, Any]], side: str) -> tuple[set[str], set[int]]:
    names: set[str] = set()
    ports: set[int] = set()
    for rule in rules:
        for peer in rule[side]:
            name = _peer(peer)
            names |= set(name.split("+")) if name.startswith("pod:") else {name}
        ports |= {p["port"] for p in rule["ports"]}
    return names, ports


def _policy(component: str) -> dict[str, Any]:
    (policy,) = [
        p["spec"]
        for p in _of_kind("NetworkPolicy").values()
        if _component(p["spec"]["podSelector"].get("matchLabels")) == component
    ]
    return policy


def test_network_policies_let_only_the_ingress_in_and_only_rasa_reach_the_actions() -> None:
    deny = [p["spec"] for p in _of_kind("NetworkPolicy").values() if p["spec"]["podSelector"] == {}]
    assert deny and deny[0]["policyTypes"] == ["Ingress"] and not deny[0].get("ingress")
    assert _peers(_policy("gateway")["ingress"], "from") == (
        {"ns:ingress-nginx", "ns:monitoring", "pod:rasa", "pod:actions"},
        {8000},
    )
    assert _peers(_policy("rasa")["ingress"], "from") == ({"ns:ingress-nginx", "pod:gateway"}, {5005})
    # the gateway only for its readiness check (/readyz asks the action server's /health)
    assert _peers(_policy("actions")["ingress"], "from") == ({"pod:rasa", "pod:gateway"}, {5055})
    dns = "ns:kube-system+pod:k8s-app=kube-dns"
    assert _peers(_policy("actions")["egress"], "to") == ({"pod:gateway", dns}, {8000, 53})


@pytest.mark.parametrize("role", ROLES)
def test_deployment_of_each_role(role: str) -> None:
    deployment = _of_kind("Deployment")[role]
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment)
    assert deployment["spec"]["replicas"] >= 2
    assert container["args"] == ["serve", role]
    assert [p["containerPort"] for p in container["ports"]] == [PORTS[role]]
    for kind, path in zip(("startupProbe", "livenessProbe", "readinessProbe"), PROBES[role], strict=True):
        assert container[kind]["httpGet"]["path"] == path, kind
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert MEASURED_BYTES[role] <= _bytes(requests["memory"]) <= _bytes(limits["memory"])
    assert _bytes(limits["memory"]) >= HEADROOM * MEASURED_BYTES[role]
    assert "cpu" in requests and "cpu" in limits
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("role", ROLES)
def test_service_and_disruption_budget_select_the_pods_of_each_role(role: str) -> None:
    deployment = _of_kind("Deployment")[role]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _of_kind("Service")[role]["spec"]
    assert service["selector"].items() <= labels.items()
    assert [p["port"] for p in service["ports"]] == [PORTS[role]]
    budget = _of_kind("PodDisruptionBudget")[role]["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert 1 <= budget["minAvailable"] < deployment["spec"]["replicas"]


def test_every_workload_uses_the_one_image_and_existing_config() -> None:
    workloads = [*_of_kind("Deployment").values()]
    containers = [_container(d) for d in workloads]
    for job in _of_kind("CronJob").values():
        containers += job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert len({c["image"] for c in containers}) == 1
    secret_keys = set(_of_kind("Secret")["jenabot-secrets"]["stringData"])
    config_maps = set(_of_kind("ConfigMap"))
    for container in containers:
        refs = [e["valueFrom"]["secretKeyRef"] for e in container.get("env", []) if "valueFrom" in e]
        assert {r["name"] for r in refs} <= {"jenabot-secrets"}
        assert {r["key"] for r in refs} <= secret_keys
        assert {e["configMapRef"]["name"] for e in container.get("envFrom", [])} <= config_maps


def test_secret_template_holds_no_secret() -> None:
    assert set(_of_kind("Secret")["jenabot-secrets"]["stringData"].values()) == {""}


# --- compose -----------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith("#")}


def test_compose_file_matches_the_compose_spec(tools: Path) -> None:
    done = _run([_tool(tools, "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_publishes_only_the_proxy_and_runs_every_role() -> None:
    services = _compose()["services"]
    assert set(services) == {"proxy", *ROLES, "postgres", "redis"}
    assert [name for name, s in services.items() if "ports" in s] == ["proxy"]
    assert services["rasa"]["deploy"]["replicas"] == 2
    assert len({services[r]["image"] for r in ROLES}) == 1
    for role in ROLES:
        assert services[role]["command"] == ["serve", role]
        assert str(PORTS[role]) in " ".join(services[role]["healthcheck"]["test"])
    assert "./deploy/nginx/jenabot.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def test_compose_restarts_checks_health_and_starts_in_order() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert service["restart"] in ("unless-stopped", "on-failure", "always"), name
        assert service["healthcheck"]["test"], name
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
    assert set(services["proxy"]["depends_on"]) == {"gateway", "rasa"}
    assert {"postgres", "rasa", "actions"} <= set(services["gateway"]["depends_on"])
    assert {"postgres", "redis", "actions"} <= set(services["rasa"]["depends_on"])


def test_compose_keeps_data_in_named_volumes_on_an_internal_network() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(compose["volumes"]) == {"pgdata", "redisdata"}
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redisdata:/data" in services["redis"]["volumes"]
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis", "actions"):
        assert services[name]["networks"] == ["backend"], name


def test_compose_takes_every_secret_from_the_env_file() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert "${" in str(value), f"{name}: {key} must come from .env"
    # each role gets only what it needs
    assert not {"DATABASE_URL", "JENABOT_REDIS_URL"} & set(services["actions"]["environment"])
    assert "JENABOT_REDIS_URL" not in services["gateway"]["environment"]


def test_env_example_defines_every_variable_and_no_secret() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    example = _env_example()
    assert set(re.findall(r"\$\{([A-Z0-9_]+)", text)) <= set(example)
    for required in set(re.findall(r"\$\{([A-Z0-9_]+):\?", text)):
        assert example[required] == "", f"{required} must stay empty in {ENV_EXAMPLE.name}"
    assert all(v == "" for k, v in example.items() if SECRET_NAME.search(k))


def _app_env_names() -> set[str]:
    services = _compose()["services"]
    names = {key for role in ROLES for key in services[role]["environment"]}
    names |= set(_of_kind("ConfigMap")["jenabot-config"]["data"]) | set(
        _of_kind("Secret")["jenabot-secrets"]["stringData"]
    )
    for deployment in _of_kind("Deployment").values():
        names |= {e["name"] for e in _container(deployment).get("env", [])}
    return names


def test_deployment_sets_only_settings_the_code_knows() -> None:
    known = set(re.findall(r"^\| `([A-Z0-9_]+)`", env_table(), flags=re.M))
    assert not _app_env_names() - known - NEW_SETTINGS - PROCESS_ENV


def test_compose_and_kubernetes_use_the_same_internal_addresses() -> None:
    config = _of_kind("ConfigMap")["jenabot-config"]["data"]
    gateway_env = _compose()["services"]["gateway"]["environment"]
    for key in ("JENABOT_RASA_URL", "JENABOT_ACTION_URL", "JENABOT_GATEWAY_URL", "JENABOT_RASA_HOST"):
        assert config[key] == gateway_env[key], key


# --- Dockerfile --------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        result.append((word.upper(), " ".join(rest.split())))
        pending = ""
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def _env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pair.split("=", 1) for word, args in stage if word == "ENV" for pair in shlex.split(args))


def test_dockerfile_passes_hadolint(tools: Path) -> None:
    done = _run([_tool(tools, "hadolint"), "--no-color", str(DOCKERFILE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_builds_one_cpu_image_for_all_roles() -> None:
    instructions = _instructions()
    args = dict(a.split("=", 1) for word, a in instructions if word == "ARG" and "=" in a)
    assert args["PYTHON_IMAGE"].startswith("python:3.10-slim")
    assert {a.split()[0] for word, a in instructions if word == "FROM"} == {"${PYTHON_IMAGE}"}
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert f"torch=={args['TORCH_VERSION']}\n" in lock
    assert args["TORCH_INDEX_URL"].endswith("/whl/cpu")
    assert any("jenabot build" in a for word, a in instructions if word == "RUN")
    stage = _final_stage()
    assert _env_of(stage)["HF_HUB_OFFLINE"] == "1"
    assert json.loads(next(a for word, a in stage if word == "ENTRYPOINT"))[-1] == "jenabot"
    assert json.loads(next(a for word, a in stage if word == "CMD")) == ["serve", "gateway"]
    assert set(next(a for word, a in stage if word == "EXPOSE").split()) == {str(p) for p in PORTS.values()}


def test_dockerfile_runs_as_non_root_with_a_health_check_and_no_secrets() -> None:
    stage = _final_stage()
    user = [a for word, a in stage if word == "USER"][-1]
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) != 0  # numeric: runAsNonRoot can verify it
    assert any(word == "HEALTHCHECK" and "/healthz" in a for word, a in stage)
    names = [a.split("=")[0] for word, a in _instructions() if word == "ARG"] + list(_env_of(_instructions()))
    assert not [n for n in names if re.search(r"SECRET|PASSWORD|TOKEN", n)]


def test_cpu_filter_drops_exactly_the_cuda_packages_of_the_lock() -> None:
    pattern = re.search(r"grep -v -E '([^']+)'", DOCKERFILE.read_text(encoding="utf-8"))
    assert pattern
    lines = [line for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines() if line]
    dropped = [line for line in lines if re.search(pattern.group(1), line)]
    kept = [line for line in lines if line not in dropped]
    assert dropped and all(re.match(r"(nvidia-|cuda-|triton==)", line) for line in dropped)
    assert not [line for line in kept if re.search(r"nvidia|cuda|triton", line, re.I)]
    assert any(line.startswith("torch==") for line in kept)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules, simplified (a matched folder excludes everything in it)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        negate, pattern = pattern.startswith("!"), pattern.lstrip("!")
        bare = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern) or (bare and fnmatch.fnmatchcase(prefix.split("/")[-1], bare)):
                result = not negate
    return result


def test_dockerignore_keeps_local_state_out_and_the_sources_in() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for path in (
        ".venv/bin/python",
        "models/rasa/jenabot.tar.gz",
        "var/jenabot.db",
        ".git",
        ".env",
        "deploy/tls/privkey.pem",
        "bot/__pycache__/cli.cpython-310.pyc",
    ):
        assert _ignored(path, patterns), path
    needed = [
        "pyproject.toml",
        "README.md",
        "requirements.lock",
        "config.yml",
        "domain.yml",
        "endpoints.yml",
        "credentials.yml",
    ]
    for folder in ("bot", "actions", "knowledge", "data"):
        needed += [p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()]
    needed = [p for p in needed if "__pycache__" not in p]
    assert not [p for p in needed if _ignored(p, patterns)]


# --- nginx -------------------------------------------------------------------------------------


Directive = tuple[str, list[str], list[Any]]  # name, arguments, block


def _nginx_tree(text: str) -> list[Directive]:
    """nginx config as nested (directive, arguments, children); enough for our own file."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{};]|[^\s{};"]+', re.sub(r"(?m)#.*$", "", text))
    stack: list[list[Any]] = [[]]
    words: list[str] = []
    for token in tokens:
        if token == ";":
            stack[-1].append((words[0], words[1:], []))
            words = []
        elif token == "{":
            block: list[Any] = []
            stack[-1].append((words[0], words[1:], block))
            stack.append(block)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token.strip('"'))
    return stack[0]


def _nginx() -> tuple[dict[str, list[str]], list[Directive], list[Directive]]:
    """(upstream name -> servers, directives of the TLS server, directives of the plain HTTP server)."""
    tree = _nginx_tree(NGINX_CONF.read_text(encoding="utf-8"))
    upstreams = {args[0]: [a[0] for d, a, _ in body if d == "server"] for d, args, body in tree if d == "upstream"}
    servers = [body for d, _, body in tree if d == "server"]
    tls = [s for s in servers if any(d == "listen" and "ssl" in a for d, a, _ in s)]
    plain = [s for s in servers if s not in tls]
    assert len(tls) == 1 and len(plain) == 1
    return upstreams, tls[0], plain[0]


def _locations(server: list[Directive]) -> dict[str, dict[str, list[str]]]:
    return {" ".join(args): {d: a for d, a, _ in body} for d, args, body in server if d == "location"}


def test_nginx_sends_exactly_two_paths_to_rasa_and_the_rest_to_the_gateway() -> None:
    upstreams, tls, _ = _nginx()
    assert {name for name, servers in upstreams.items() if servers == ["rasa:5005"]} == {
        "jenabot_rasa_socketio",
        "jenabot_rasa_webhook",
    }
    assert upstreams["jenabot_gateway"] == ["gateway:8000"]
    targets = {
        where: body["proxy_pass"][0].split("//")[1].split("/")[0]
        for where, body in _locations(tls).items()
        if "proxy_pass" in body
    }
    assert {where for where, upstream in targets.items() if upstream.startswith("jenabot_rasa")} == {
        "= /webhooks/telegram/webhook",
        "^~ /socket.io/",
    }
    assert set(targets.values()) <= set(upstreams)
    assert targets["/"] == "jenabot_gateway"


def test_nginx_hides_internal_paths_and_sets_forwarding_headers_once() -> None:
    upstreams, tls, plain = _nginx()
    locations = _locations(tls)
    assert locations["= /metrics"]["return"] == ["404"]
    assert locations["^~ /api/internal/"]["return"] == ["404"]
    headers = {a[0]: a[1] for d, a, _ in tls if d == "proxy_set_header"}
    assert headers["X-Forwarded-For"] == "$remote_addr"  # replaced, so a client cannot forge it
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Upgrade"] == "$http_upgrade"
    assert not [w for w, body in locations.items() if "proxy_set_header" in body]  # would drop the ones above
    sse = [
        body
        for where, body in locations.items()
        if where.startswith("~") and re.search(where.split()[1], "/api/chat/web-1/events")
    ]
    assert sse and sse[0]["proxy_buffering"] == ["off"]
    body_limit = next(a[0] for d, a, _ in tls if d == "client_max_body_size")
    assert _bytes(body_limit.upper()) <= 1e6
    assert _locations(plain)["/"]["return"] == ["301", "https://$host$request_uri"]


def _nginx_workdir(work: Path) -> Path:
    """A prefix for nginx with our config included unchanged, a throwaway certificate and a hosts
    file in which the upstream names point to loopback."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (work / "tls").mkdir(parents=True)
    (work / "tmp").mkdir()
    (work / "tls" / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (work / "tls" / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (work / "hosts").write_text("127.0.0.1 localhost gateway rasa\n::1 localhost\n", encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {work}/tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = work / "nginx.conf"
    conf.write_text(
        f"user root;\nworker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{ access_log off; {temp} include {NGINX_CONF}; }}\n",
        encoding="utf-8",
    )
    return conf


def _in_namespace(work: Path, call: str, network: bool) -> subprocess.CompletedProcess[str]:
    """Run tests.test_deploy_files.<call>(work) in new mount (and network) namespaces."""
    if os.geteuid() != 0:
        pytest.skip("braucht root (eigene Namespaces für nginx mit den Namen gateway/rasa)")
    unshare = _system_tool("unshare", "util-linux")
    flags = ["--mount", "--propagation", "private"] + (["--net"] if network else [])
    code = f"from tests.test_deploy_files import {call}; {call}({str(work)!r})"
    done = subprocess.run(
        [unshare, *flags, sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if "unshare failed" in done.stderr or "Operation not permitted" in done.stderr:
        pytest.skip(f"keine eigenen Namespaces möglich: {done.stderr.strip()[-300:]}")
    return done


def _syntax_check(work: str) -> None:
    subprocess.run(["mount", "--bind", f"{work}/hosts", "/etc/hosts"], check=True)
    done = subprocess.run(
        [str(_which("nginx")), "-t", "-p", work, "-c", f"{work}/nginx.conf"], capture_output=True, text=True
    )
    print(done.stderr)
    sys.exit(done.returncode)


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    _system_tool("nginx", "nginx")
    _nginx_workdir(tmp_path)
    done = _in_namespace(tmp_path, "_syntax_check", network=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test is successful" in done.stdout


class _Upstream(BaseHTTPRequestHandler):
    """Stands in for gateway or Rasa: answers with what it received, as JSON."""

    protocol_version = "HTTP/1.1"
    name = ""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/events"):  # server-sent events without X-Accel-Buffering: the proxy must not buffer
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"data: first\n\n")
            self.wfile.flush()
            time.sleep(2)
            self.wfile.write(b"data: second\n\n")
            self.close_connection = True
            return
        seen = {"upstream": self.name, "method": self.command, "path": self.path, "headers": dict(self.headers)}
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve_upstream(name: str, port: int) -> ThreadingHTTPServer:
    handler = type(f"{name}Upstream", (_Upstream,), {"name": name})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# name: (method, path, extra headers, body)
ROUTING_PROBES: dict[str, tuple[str, str, dict[str, str], bytes]] = {
    "web chat": ("GET", "/", {}, b""),
    "staff console": ("GET", "/staff", {}, b""),
    "Rasa REST channel": ("POST", "/webhooks/rest/webhook", {}, b"{}"),
    "Rasa conversations API": ("GET", "/conversations/abc/tracker", {}, b""),
    "Rasa model API": ("PUT", "/model", {}, b"{}"),
    "Rasa status": ("GET", "/status", {}, b""),
    "dot segments": ("GET", "/socket.io/../conversations/abc/tracker", {}, b""),
    "encoded dot segments": ("GET", "/socket.io/%2e%2e/conversations/abc/tracker", {}, b""),
    "telegram": ("POST", "/webhooks/telegram/webhook", {}, b"{}"),
    "telegram GET": ("GET", "/webhooks/telegram/webhook", {}, b""),
    "socket.io polling": ("GET", "/socket.io/?EIO=4&transport=polling", {}, b""),
    "socket.io upgrade": (
        "GET",
        "/socket.io/?EIO=4&transport=websocket",
        {"Upgrade": "websocket", "Connection": "Upgrade"},
        b"",
    ),
    "metrics": ("GET", "/metrics", {}, b""),
    "internal API": ("POST", "/api/internal/handoff", {}, b"{}"),
    "internal API, double slash": ("POST", "/api//internal/handoff", {}, b"{}"),
    "forged X-Forwarded-For": ("GET", "/api/chat/web-1/messages", {"X-Forwarded-For": "203.0.113.9"}, b""),
    "body too large": ("POST", "/api/chat/messages", {"Content-Type": "application/json"}, b"x" * 70_000),
}


def _probe(method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", 443, context=context, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        seen = json.loads(raw)
    except ValueError:
        seen = {}
    return {"status": response.status, **seen}


def _first_event_seconds() -> float:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", 443, context=context, timeout=10)
    start = time.monotonic()
    connection.request("GET", "/api/chat/web-1/events")
    response = connection.getresponse()
    response.readline()
    elapsed = time.monotonic() - start
    connection.close()
    return elapsed


def _redirect_of_plain_http() -> tuple[int, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", 80, timeout=10)
    connection.request("GET", "/staff")
    response = connection.getresponse()
    return response.status, response.getheader("Location")


def _routing_probe(work: str) -> None:
    """Inside fresh namespaces: loopback up, upstream stand-ins, the real nginx; prints what arrived where."""
    subprocess.run([str(_which("ip")), "link", "set", "lo", "up"], check=True)
    subprocess.run(["mount", "--bind", f"{work}/hosts", "/etc/hosts"], check=True)
    upstreams = [_serve_upstream("gateway", 8000), _serve_upstream("rasa", 5005)]
    nginx = subprocess.Popen(
        [str(_which("nginx")), "-p", work, "-c", f"{work}/nginx.conf", "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(443, nginx)
        result: dict[str, Any] = {name: _probe(*probe) for name, probe in ROUTING_PROBES.items()}
        result["first event after"] = _first_event_seconds()
        result["plain http"] = _redirect_of_plain_http()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for upstream in upstreams:
            upstream.shutdown()
    print(json.dumps(result))


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not open port 443")


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What a real nginx with our config did with each probe request (see ROUTING_PROBES)."""
    _system_tool("nginx", "nginx")
    _system_tool("ip", "iproute2")
    work = tmp_path_factory.mktemp("nginx")
    _nginx_workdir(work)
    done = _in_namespace(work, "_routing_probe", network=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _upstream_of(routed: dict[str, Any], probe: str) -> str | None:
    return routed[probe].get("upstream")


def test_running_nginx_sends_only_the_channel_paths_to_rasa(routed: dict[str, Any]) -> None:
    to_rasa = {name for name in ROUTING_PROBES if _upstream_of(routed, name) == "rasa"}
    assert to_rasa == {"telegram", "socket.io polling", "socket.io upgrade"}
    for name in (
        "web chat",
        "staff console",
        "Rasa REST channel",
        "Rasa conversations API",
        "Rasa model API",
        "Rasa status",
        "dot segments",
        "encoded dot segments",
        "forged X-Forwarded-For",
    ):
        assert _upstream_of(routed, name) == "gateway", name
    assert routed["telegram"]["path"] == "/webhooks/telegram/webhook"
    assert routed["socket.io polling"]["path"] == "/socket.io/?EIO=4&transport=polling"
    upgrade = {k.lower(): v for k, v in routed["socket.io upgrade"]["headers"].items()}
    assert upgrade["upgrade"] == "websocket" and upgrade["connection"].lower() == "upgrade"
    assert routed["telegram GET"]["status"] == 403


def test_running_nginx_refuses_internal_paths_and_large_bodies(routed: dict[str, Any]) -> None:
    for name in ("metrics", "internal API", "internal API, double slash"):
        assert routed[name]["status"] == 404 and _upstream_of(routed, name) is None, name
    assert routed["body too large"]["status"] == 413


def test_running_nginx_forwards_the_client_address_and_scheme(routed: dict[str, Any]) -> None:
    headers = {k.lower(): v for k, v in routed["forged X-Forwarded-For"]["headers"].items()}
    assert headers["x-forwarded-for"] == "127.0.0.1"  # the forged 203.0.113.9 is gone
    assert headers["x-forwarded-proto"] == "https"
    assert routed["plain http"] == [301, "https://127.0.0.1/staff"]


def test_running_nginx_streams_chat_events_unbuffered(routed: dict[str, Any]) -> None:
    assert routed["first event after"] < 1.5  # the stand-in sends the second event only after 2 s


# --- Prometheus --------------------------------------------------------------------------------


def test_alert_rules_are_valid() -> None:
    promtool = _system_tool("promtool", "prometheus")
    done = _run([promtool, "check", "rules", str(ALERTS)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_alerts_fire_on_failures_and_stay_quiet_otherwise() -> None:
    promtool = _system_tool("promtool", "prometheus")
    done = _run([promtool, "test", "rules", ALERTS.with_name("alerts.test.yml").name], cwd=ALERTS.parent)
    assert done.returncode == 0, done.stdout + done.stderr


def _alert_rules() -> Iterator[dict[str, Any]]:
    for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]:
        yield from group["rules"]


def test_every_alert_is_explained_in_the_runbook() -> None:
    runbook = RUNBOOK.read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"(?m)^#+ (.+)$", runbook)
    }
    tested = ALERTS.with_name("alerts.test.yml").read_text(encoding="utf-8")
    for rule in _alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{name.lower()}", name
        assert name.lower() in anchors, f"{name}: no section in {RUNBOOK.name}"
        assert f"| `{name}` |" in runbook, f"{name}: not in the alert table of {RUNBOOK.name}"
        assert f"alertname: {name}\n" in tested, f"{name}: no unit test in alerts.test.yml"
