"""The README's story runs as written: every command in its "Try it" block, in order, in a fresh home,
and every output line shown is in what the command printed (`…` is text left out). The sharing code
and the report link are new on each run: the README's are replaced by the ones the story produced."""
from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"code is ((?:\d, ){5}\d)")
TOKEN = re.compile(r"/report/([A-Za-z0-9_-]{20,})")


def story() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text()
    block = text[text.index("## Try it"):]
    block = block[block.index("```console\n") + len("```console\n"):]
    block = block[:block.index("```\n")]
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:].split("  #")[0].strip(), []))
        else:
            steps[-1][1].append(line)
    return steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shown_in(expected: list[str], printed: str) -> None:
    """Each shown line's parts (split at …) are in the printed text, in order, lines in order."""
    at = 0
    for line in expected:
        for part in (p.strip() for p in line.split("…")):
            if part:
                found = printed.find(part, at)
                assert found >= 0, f"{part!r} not printed (after offset {at}):\n{printed}"
                at = found + len(part)


def test_the_readme_story_runs_as_written(tmp_path: Path) -> None:
    steps = story()
    assert len(steps) >= 12 and any("serve --local" in c for c, _ in steps)
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # the venv: what make chat's .venv-chat also holds
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "RECOVERY_COACH_DB",
                                                             "XDG_DATA_HOME", "SKILL_ID")}
    env.update(HOME=str(tmp_path), PATH=f"{bin_dir}:{env.get('PATH', '')}", REPORT_BASE_URL=f"http://127.0.0.1:{port}")
    readme = "\n".join("\n".join(out) for _, out in steps)
    readme_code = CODE.search(readme).group(1)
    readme_token = TOKEN.search(readme).group(1)
    code = token = None
    ran = 0
    for command, expected in steps:
        if command.startswith("export PATH="):
            continue  # done above, with this venv
        if code:  # the code a caregiver types is the one the patient was just given
            command = command.replace(readme_code.replace(", ", ""), code.replace(", ", ""))
        if "serve --local" in command:
            printed = serve_and_open(command, port, token, env, tmp_path)
        else:
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, cwd=tmp_path,
                                  timeout=120)
            assert done.returncode == 0 and "Traceback" not in done.stderr, (command, done.stderr)
            printed = done.stdout
        code = m.group(1) if (m := CODE.search(printed)) else code
        token = m.group(1) if (m := TOKEN.search(printed)) else token
        shown_in([fresh(line, readme_code, code, readme_token, token, port) for line in expected], printed)
        ran += 1
    assert ran == len(steps) - 1 and code and token
    assert (tmp_path / "my-report.html").read_text().startswith("<!DOCTYPE html>")
    [page] = tmp_path.rglob("report-patient.html")  # `report` alone: beside the database in the home
    assert page.read_text().startswith("<!DOCTYPE html>")


def fresh(line: str, readme_code: str, code: str | None, readme_token: str, token: str | None, port: int) -> str:
    """A shown line with this run's code, link and port in place of the README's."""
    if code:
        line = line.replace(readme_code, code).replace(readme_code.replace(",", ""), code.replace(",", ""))
    if token:
        line = line.replace(readme_token, token)
    return line.replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def serve_and_open(command: str, port: int, token: str | None, env: dict[str, str], cwd: Path) -> str:
    """Starts the README's serve command on a free port, opens the link chat showed, and stops it."""
    server = subprocess.Popen(shlex.split(command) + ["--port", str(port)], stdout=subprocess.PIPE, text=True,
                              env=env, cwd=cwd)
    try:
        assert server.stdout is not None and token
        printed = ""
        for _ in range(5):
            printed += server.stdout.readline()
            if "listening on" in printed:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/report/{token}", timeout=10) as page:
            assert page.status == 200 and "Pain check-ins for Linda" in page.read().decode()
        return printed
    finally:
        server.terminate()
        server.wait(timeout=10)
