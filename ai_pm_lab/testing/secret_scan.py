"""Find key-shaped strings (OpenAI sk-..., Anthropic sk-ant-..., Google AIza..., assigned *_API_KEY values) in files; used by a test and a pre-commit hook."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PATTERNS = {
    "Anthropic key": re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    "OpenAI key": re.compile(r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    "Google key": re.compile(r"AIza[A-Za-z0-9_\-]{35}"),
    "assigned API key": re.compile(r"(?:OPENAI|ANTHROPIC|GEMINI)_API_KEY\s*[=:]\s*[\"']?(?!\s|\"|'|\$|<|\{|your|sk-\.\.\.)[^\s\"'#]{12,}"),
    "bearer token": re.compile(r"Bearer\s+[A-Za-z0-9_\-\.]{30,}"),
}
ALLOW_MARKER = "pragma: allowlist secret"  # same marker as detect-secrets: for deliberate fake keys in tests
SKIP_SUFFIXES = {".gguf", ".onnx", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".whl", ".zip", ".gz", ".bin", ".npy", ".faiss", ".ico"}


def find_secrets(text: str) -> list[tuple[str, str]]:
    """(kind, masked match) for every key-shaped string in ``text``."""
    hits = []
    text = "\n".join(line for line in text.splitlines() if ALLOW_MARKER not in line)
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            s = m.group(0)
            hits.append((kind, s[:6] + "…" + f"({len(s)} chars)"))
    return hits


def candidate_files(root: str | Path = ".") -> list[Path]:
    """Git-tracked files plus untracked files that are not ignored (what a commit could carry)."""
    root = Path(root)
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         capture_output=True, check=True).stdout
    return [root / p for p in sorted(set(out.decode().split("\0"))) if p]


def scan_files(paths) -> dict[str, list[tuple[str, str]]]:
    """Findings per file for text files among ``paths`` (binary and model files skipped)."""
    findings = {}
    for path in map(Path, paths):
        if path.suffix.lower() in SKIP_SUFFIXES or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue
        hits = find_secrets(data.decode("utf-8", errors="replace"))
        if hits:
            findings[str(path)] = hits
    return findings


def main(argv=None) -> int:
    """Scan the given files (default: every file git would commit); exit 1 and list findings if any."""
    argv = sys.argv[1:] if argv is None else argv
    findings = scan_files(argv or candidate_files())
    for path, hits in findings.items():
        for kind, masked in hits:
            print(f"{path}: {kind} {masked} — remove it; keep keys in .env (gitignored) or the environment.")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
