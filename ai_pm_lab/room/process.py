"""A room server in a child process, for tests and the load benchmark: start, wait until it listens, stop cleanly."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ai_pm_lab.errors import ConfigurationError
from ai_pm_lab.room.server import SERVER_FILE


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RoomProcess:
    """``python -m ai_pm_lab room serve`` in a child process; ``.info`` is its server.json (url, code, ...)."""

    def __init__(self, data, *, port: int = 0, hub: bool = False, env: dict | None = None, timeout: float = 30.0):
        self.data = Path(data)
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / SERVER_FILE).unlink(missing_ok=True)
        args = [sys.executable, "-m", "ai_pm_lab", "room", "serve", "--data", str(self.data), "--port", str(port)]
        if hub:
            args.append("--hub")
        self.log = open(self.data / "server.log", "ab")  # closed in stop()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        while True:  # poll for the file the server writes once it listens
            info = self._read()
            if info and info.get("pid") == self.proc.pid:
                self.info = info
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"The room server did not start: see {self.data / 'server.log'}.")
            time.sleep(0.05)

    def _read(self) -> dict | None:
        try:
            return json.loads((self.data / SERVER_FILE).read_text())
        except (OSError, ValueError):
            return None

    @property
    def url(self) -> str:
        return self.info["url"]

    def stop(self, timeout: float = 15.0) -> None:
        """End the server (SIGTERM: it closes its database), then reap it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
