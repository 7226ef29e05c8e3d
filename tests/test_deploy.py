"""Workshop deployment files: the Zero to JupyterHub values validate against the chart's own schema (as helm does),
a misspelt key is rejected, and every resource figure comes from the measured capacity (deploy/capacity.py)."""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SCHEMA = json.loads((DEPLOY / "z2jh-schema" / "values.schema.json").read_text())
DEFAULTS = yaml.safe_load((DEPLOY / "z2jh-schema" / "values.default.yaml").read_text())
VALUES = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())

sys.path.insert(0, str(DEPLOY))
import capacity  # noqa: E402


def merged(over: dict, base: dict = DEFAULTS) -> dict:
    """``over`` deep-merged over ``base``, the way helm combines a values file with the chart's defaults."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = copy.deepcopy(value)
    return out


def errors(values: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged(values))]


def test_the_chart_defaults_validate_so_the_schema_check_is_meaningful():
    assert errors({}) == []


def test_values_file_validates_against_the_chart_schema():
    assert errors(VALUES) == []


@pytest.mark.parametrize("path, value", [
    (("singleuser", "memroy"), {"limit": "1G"}),              # misspelt key
    (("singleuser", "memory", "guarentee"), "1G"),            # misspelt nested key
    (("cull", "timout"), 3600),                               # misspelt key in another section
    (("cull", "timeout"), "1h"),                              # wrong type
    (("prePuller", "hook", "enabled"), "yes"),                # wrong type
])
def test_a_misspelt_key_or_wrong_type_is_rejected(path, value):
    bad = copy.deepcopy(VALUES)
    node = bad
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    assert errors(bad), f"{'.'.join(path)} = {value!r} should fail the chart schema"


def test_workshop_essentials_are_set():
    su = VALUES["singleuser"]
    assert su["image"]["name"] and su["image"]["pullPolicy"] == "IfNotPresent"
    assert VALUES["cull"]["enabled"] and 0 < VALUES["cull"]["timeout"] <= 4 * 3600
    assert VALUES["prePuller"]["hook"]["enabled"] and VALUES["prePuller"]["continuous"]["enabled"]
    # the start page is a real notebook of the course, inside the copy the postStart hook makes
    url = su["defaultUrl"]
    assert url.startswith("/lab/tree/ai-pm-lab/"), url
    assert (ROOT / url.removeprefix("/lab/tree/ai-pm-lab/")).exists(), url
    hook = " ".join(su["lifecycleHooks"]["postStart"]["exec"]["command"])
    build = (DEPLOY / "build-image.sh").read_text()
    target = re.search(r"--target-repo-dir (\S+)", build).group(1)
    assert f"{target}/." in hook and "cp -rn" in hook, "the hook must copy what the image build put in the target dir"


SECRET_KEYS = {"password", "client_secret", "api_token", "apitoken", "secrettoken", "cookie_secret", "value"}


def secret_values(node, path=()):
    """(path, value) of every secret-looking key holding a literal in the parsed values (an env var's literal
    ``value`` counts when its name says token, secret or password)."""
    found = []
    if isinstance(node, dict):
        env_name = str(node.get("name", "")).lower()
        for key, value in node.items():
            k = str(key).lower()
            literal = isinstance(value, (str, int)) and str(value) != ""
            if literal and k in SECRET_KEYS and (k != "value" or any(w in env_name for w in ("token", "secret", "password"))):
                found.append((".".join(map(str, (*path, key))), value))
            found += secret_values(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += secret_values(item, (*path, i))
    return found


def test_no_secret_in_the_values_file():
    assert secret_values(VALUES) == []
    # the check can fail: a literal password, service token or token variable is caught
    assert secret_values({"hub": {"config": {"DummyAuthenticator": {"password": "pw"}}}})
    assert secret_values({"hub": {"services": {"room": {"apiToken": "abc"}}}})
    assert secret_values({"hub": {"extraContainers": [{"env": [{"name": "JUPYTERHUB_API_TOKEN", "value": "abc"}]}]}})


def test_resources_are_the_measured_ones():
    """values.yaml, the TLJH recipe and capacity.md are exactly what deploy/measurements.json gives."""
    proc = subprocess.run([sys.executable, str(DEPLOY / "capacity.py"), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    r = capacity.resources(capacity.load())
    su = VALUES["singleuser"]
    assert su["memory"]["guarantee"] == f"{r['memory_guarantee_mib']}M"
    assert su["memory"]["limit"] == f"{r['memory_limit_mib']}M"
    assert su["cpu"] == {"guarantee": r["cpu_guarantee"], "limit": r["cpu_limit"]}
    assert su["extraEnv"]["AI_PM_LAB_THREADS"] == str(r["threads"]) and r["threads"] <= r["cpu_limit"]


def test_capacity_rules():
    m = {"measured_at": "t", "machine": "m", "command": "c", "server_rss_mib": 100.0, "notebooks": {
        "notebooks/week01_a.ipynb": {"peak_rss_mib": 500.0, "cpu_s": 60.0, "wall_s": 30.0},
        "exercises/week01_exercises.ipynb": {"peak_rss_mib": 300.0, "cpu_s": 30.0, "wall_s": 10.0},
        "notebooks/week02_b.ipynb": {"peak_rss_mib": 700.0, "cpu_s": 600.0, "wall_s": 300.0},
        "exercises/week02_exercises.ipynb": {"peak_rss_mib": 50.0, "cpu_s": 10.0, "wall_s": 5.0},
    }}
    r = capacity.resources(m)
    # week 1: 800 MiB of kernels (the heaviest pair) + 100 server = 900; x1.15 = 1035 -> 1152 (next 128 MiB step)
    assert r["heaviest_memory_week"] == "01" and r["need_mib"] == 900 and r["memory_guarantee_mib"] == 1152
    assert r["memory_limit_mib"] == 1792  # 1152 x 1.5 = 1728 -> next 256 MiB step
    # week 2: 610 CPU-seconds, twice over 5,400 s = 0.226 -> 0.25
    assert r["heaviest_cpu_week"] == "02" and r["cpu_guarantee"] == 0.25
    rows = {row["node"]: row for row in capacity.capacity_rows(m)}
    cpu, mib = capacity.allocatable(4, 16)
    assert rows["4 vCPU / 16 GiB"]["learners"] == min(int(mib // 1152), int(cpu / 0.25))
    assert all(row["learners"] >= 0 for row in rows.values())
    bigger = [row["learners"] for row in capacity.capacity_rows(m)][:4]
    assert bigger == sorted(bigger), "a bigger node never holds fewer learners"


def test_allocatable_matches_the_published_reservation():
    cpu, mib = capacity.allocatable(4, 16)
    # GKE: 25% of 4 GiB + 20% of 4 GiB + 10% of 8 GiB = 2.6 GiB + 100 MiB eviction; CPU 6% + 1% + 0.5% + 0.5%
    assert round(mib) == round(16384 - (1024 + 819.2 + 819.2 + 100) - capacity.DAEMONSET_MIB)
    assert round(cpu, 3) == round(4 - 0.08 - capacity.DAEMONSET_CPU, 3)


@pytest.mark.parametrize("script", ["build-image.sh", "tljh/install.sh"])
def test_shell_scripts_parse(script):
    proc = subprocess.run(["bash", "-n", str(DEPLOY / script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_docs_say_how_to_deploy():
    text = (ROOT / "docs" / "deploy.md").read_text()
    for needle in ("deploy/build-image.sh", "helm upgrade --install", "deploy/z2jh/values.yaml", "deploy/tljh/install.sh",
                   "deploy/capacity.md", "DummyAuthenticator.password"):
        assert needle in text, needle


# --- the workshop room as a hub service (tests/test_room_hub.py runs the same setup on a real hub)

ROOM_URL_ENV = "AI_PM_LAB_ROOM_URL"


def _room_container() -> dict:
    return next(c for c in VALUES["hub"]["extraContainers"] if c["name"] == "room")


def test_room_service_on_zero_to_jupyterhub_is_wired_end_to_end():
    hub = VALUES["hub"]
    service = hub["services"]["room"]
    port = int(service["url"].rsplit(":", 1)[1])
    box = _room_container()
    assert [p["containerPort"] for p in box["ports"]] == [port]
    assert {"name": "room", "port": port, "targetPort": port} in hub["service"]["extraPorts"]
    assert any(p == {"port": port} for rule in hub["networkPolicy"]["ingress"] for p in rule["ports"])
    assert any(p == {"port": port} for rule in VALUES["singleuser"]["networkPolicy"]["egress"] for p in rule["ports"])
    env = {e["name"]: e for e in box["env"]}
    assert env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hub", "key": "hub.services.room.apiToken"}
    assert env["JUPYTERHUB_SERVICE_PREFIX"]["value"] == "/services/room/"
    assert env["JUPYTERHUB_SERVICE_URL"]["value"].endswith(f":{port}")
    assert env["JUPYTERHUB_CLIENT_ID"]["value"] == "service-room"
    # the room's command, and its data folder on the hub's own volume
    assert box["command"][:6] == ["python", "-m", "ai_pm_lab", "room", "serve", "--hub"]
    data = box["command"][box["command"].index("--data") + 1]
    mount = next(m for m in box["volumeMounts"] if data.startswith(m["mountPath"].rstrip("/") + "/"))
    volume = next(v for v in hub["extraVolumes"] if v["name"] == mount["name"])
    assert volume["persistentVolumeClaim"]["claimName"] == "hub-db-dir" and data != mount["mountPath"]
    # the same course image as the learners' servers
    su = VALUES["singleuser"]["image"]
    assert box["image"] == f"{su['name']}:{su['tag']}"
    # who may sign in, who is a facilitator, and where learners' kernels send
    assert hub["loadRoles"]["room-facilitators"] == {"groups": ["facilitators"],
                                                     "scopes": ["access:services!service=room"]}
    assert "facilitators" in hub["config"]["JupyterHub"]["load_groups"]
    snippet = "\n".join(hub["extraConfig"].values())
    assert '"AI_PM_LAB_ROOM": "hub"' in snippet and f'"{ROOM_URL_ENV}": "http://hub:{port}/services/room/"' in snippet
    compile(snippet, "extraConfig", "exec")


def test_room_service_on_the_littlest_jupyterhub():
    """The recipe's jupyterhub_config.d snippet, run on a config like TLJH's own (services and roles already lists)."""
    from traitlets.config import Config

    text = (DEPLOY / "tljh" / "install.sh").read_text()
    body = re.search(r"jupyterhub_config\.d/ai-pm-lab\.py <<EOF\n(.*?)\nEOF\n", text, re.DOTALL).group(1)
    shell = {"THREADS": "2", "REPO": "https://example.org/course", "BRANCH": "main", "NAME": "course",
             "ROOM_PORT": re.search(r"^ROOM_PORT=(\d+)$", text, re.M).group(1), "COURSE": "/opt/ai-pm-lab",
             "ROOM_DATA": "/opt/ai-pm-lab-room"}
    body = re.sub(r"\$(\w+)", lambda m: shell[m.group(1)], body)
    c = Config()
    c.JupyterHub.services = [{"name": "cull", "admin": True, "command": ["cull"]}]
    c.JupyterHub.load_roles = [{"name": "idle-culler", "services": ["cull"], "scopes": ["admin:servers"]}]
    exec(compile(body, "ai-pm-lab.py", "exec"), {"c": c})
    room = next(s for s in c.JupyterHub.services if s["name"] == "room")
    assert room["command"][1:7] == ["-m", "ai_pm_lab", "room", "serve", "--hub", "--data"]
    env = c.Spawner.environment.get_value({"AI_PM_LAB_THREADS": "1"})  # updates on top of what TLJH sets
    assert env["AI_PM_LAB_ROOM"] == "hub" and env[ROOM_URL_ENV] == room["url"] + "/services/room/"
    assert {"name": "room-facilitators", "groups": ["facilitators"],
            "scopes": ["access:services!service=room"]} in c.JupyterHub.load_roles
    assert len(c.JupyterHub.services) == 2 and "facilitators" in c.JupyterHub.load_groups.get_value({})


def test_the_room_command_the_deploy_files_use_exists():
    proc = subprocess.run([sys.executable, "-m", "ai_pm_lab", "room", "serve", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "--hub" in proc.stdout and "--data" in proc.stdout, proc.stderr


def test_facilitator_guide_explains_the_room_both_ways_with_the_screenshot():
    text = (ROOT / "docs" / "facilitator_guide.md").read_text()
    for needle in ("/services/room/", "facilitators", "python -m ai_pm_lab room serve", "room.join(", "Hide names",
                   "What is stored", "Delete a room", "/opt/ai-pm-lab-room", "hub-db-dir", "score line"):
        assert needle in text, needle
    shots = re.findall(r"\]\((img/[^)]+\.png)\)", text)
    assert "img/facilitator_page.png" in shots and all((ROOT / "docs" / s).is_file() for s in shots), shots
    tljh = (DEPLOY / "tljh" / "install.sh").read_text()
    assert re.search(r'^ROOM_DATA="\$\{ROOM_DATA:-/opt/ai-pm-lab-room\}"', tljh, re.M), "guide and recipe agree"


def test_merging_lesson_runs_twice_names_each_measurement_once():
    m = {"command": "python deploy/capacity.py --measure (AI_PM_LAB_THREADS=1)", "notebooks": {}}
    run = {"cpu_s": 1.0, "wall_s": 1.0, "peak_rss_mib": 100.0}
    bench = {"after": [{"lesson": "week01_x.ipynb", "first": run, "warm": run}], "measured_at": "t", "machine": "m",
             "after_commit": "abc1234"}
    once = capacity.merge_lessons(m, bench)
    twice = capacity.merge_lessons(once, {**bench, "after_commit": "def5678"})
    assert twice["command"] == once["command"].replace("abc1234", "def5678")
    assert twice["command"].count("--measure") == 1 and twice["command"].count("(exercises, server)") == 1
