"""Run a command with outbound network blocked: loopback only, at the socket level (and in a fresh network namespace when root).

``python -m ai_pm_lab.testing.offline -- python -m pytest -q tests`` runs the tests that way; blocked attempts are listed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ai_pm_lab.settings import PROVIDER_VARS

LOG_VAR = "AI_PM_LAB_NET_LOG"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
# Variables that would make the default run reach a provider (settings' one list, Gemini's included) or go through a
# proxy: the offline run is the learner's default, with none set.
CLEARED_VARS = (*PROVIDER_VARS, *PROXY_VARS)

SITECUSTOMIZE = r'''
"""Installed by ai_pm_lab.testing.offline: refuse every non-loopback connection and name lookup, and log the attempt."""
import ipaddress
import os
import socket

_LOG = os.environ.get("AI_PM_LAB_NET_LOG")
_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost"}


def _allowed_host(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%")[0].strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")
    raise OSError(101, f"Network blocked by the offline check: {what} (only loopback is allowed)")


def _guard(sock, address, what):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _allowed_host(address[0]):
        _refuse(f"{what} {address[0]}:{address[1] if len(address) > 1 else ''}")


_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
_getaddrinfo, _gethostbyname = socket.getaddrinfo, socket.gethostbyname


def _guarded_connect(self, address):
    _guard(self, address, "connect")
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _guard(self, address, "connect")
    return _connect_ex(self, address)


def _guarded_sendto(self, data, *args):
    _guard(self, args[-1], "sendto")
    return _sendto(self, data, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _allowed_host(host):
        _refuse(f"resolve {host}")
    return _getaddrinfo(host, *args, **kwargs)


def _guarded_gethostbyname(host):
    if not _allowed_host(host):
        _refuse(f"resolve {host}")
    return _gethostbyname(host)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.socket.sendto = _guarded_sendto
socket.getaddrinfo = _guarded_getaddrinfo
socket.gethostbyname = _guarded_gethostbyname
socket.AI_PM_LAB_OFFLINE = True
'''


def write_blocker(folder: str | os.PathLike) -> Path:
    """Write the sitecustomize.py that blocks non-loopback sockets into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder


def offline_env(blocker_dir: str | os.PathLike, log_path: str | os.PathLike, base: dict | None = None) -> dict:
    """Environment for an offline child: blocker on PYTHONPATH, attempt log set, provider settings removed."""
    env = dict(os.environ if base is None else base)
    for var in CLEARED_VARS:
        env.pop(var, None)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker_dir), *filter(None, [env.get("PYTHONPATH")])])
    env[LOG_VAR] = str(log_path)
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


def can_unshare() -> bool:
    """Whether this process may run a child in a new network namespace with only loopback (root + unshare + ip)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    probe = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True)
    return probe.returncode == 0


def wrap(cmd: list[str], *, namespace: bool | None = None) -> list[str]:
    """``cmd`` wrapped in ``unshare -n`` (loopback brought up) when available or requested."""
    if namespace is None:
        namespace = can_unshare()
    if not namespace:
        return list(cmd)
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "offline", *cmd]


def run_offline(cmd: list[str], *, cwd=None, timeout: float = 600, namespace: bool | None = None):
    """Run ``cmd`` offline; returns (CompletedProcess, blocked attempts, whether a network namespace was used)."""
    namespace = can_unshare() if namespace is None else namespace
    with tempfile.TemporaryDirectory(prefix="ai-pm-lab-offline-") as tmp:
        log = Path(tmp) / "blocked.log"
        log.touch()
        env = offline_env(write_blocker(Path(tmp) / "site"), log)
        proc = subprocess.run(wrap(cmd, namespace=namespace), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        attempts = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return proc, attempts, namespace


def main(argv=None) -> int:
    """Run the command after ``--`` offline and report blocked attempts; exit with its code (1 if anything was blocked)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print("usage: python -m ai_pm_lab.testing.offline -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    proc, attempts, namespace = run_offline(argv)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    print(f"[offline] network namespace: {'yes' if namespace else 'no (socket-level block only)'}; "
          f"blocked attempts: {len(attempts)}", file=sys.stderr)
    for line in attempts:
        print(f"[offline] blocked: {line}", file=sys.stderr)
    return proc.returncode or (1 if attempts else 0)


if __name__ == "__main__":
    raise SystemExit(main())
