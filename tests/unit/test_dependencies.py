"""One source of dependencies: pyproject.toml. The two lock files are generated from it (`make lock`);
these tests fail when they drift, when the venv isn't the lock, or when it isn't the runtime's Python."""
from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.dynamo_local import DEFAULT_TEMPLATE, load_template

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def locked(path: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall(path.read_text())}


def closure(requirements: list[str]) -> set[str]:
    """Every distribution these requirements pull in, read from the installed packages' metadata."""
    env: dict[str, Any] = {**default_environment(), "python_version": "3.12", "sys_platform": "linux", "platform_system": "Linux"}
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker and not req.marker.evaluate({**env, "extra": ""})):
            continue
        seen.add(name)
        todo += [Requirement(r) for r in metadata.requires(name) or []]
    return seen


def test_the_function_lock_is_exactly_what_pyproject_asks_for() -> None:
    runtime = PYPROJECT["project"]["dependencies"]
    lock = locked(ROOT / "lambda" / "requirements.txt")
    assert set(lock) == closure(runtime), "lambda/requirements.txt is stale: run `make lock`"
    for line in runtime:
        req = Requirement(line)
        assert req.specifier.contains(lock[canonicalize_name(req.name)]), f"{req} not met by the lock: run `make lock`"
    assert "boto3" not in lock and "botocore" not in lock  # the Lambda runtime has them; a copy would shadow it


def test_the_dev_lock_agrees_with_the_function_lock_and_the_venv_is_the_dev_lock() -> None:
    function, dev = locked(ROOT / "lambda" / "requirements.txt"), locked(ROOT / "requirements-dev.txt")
    assert {n: v for n, v in dev.items() if n in function} == function
    for extra in PYPROJECT["project"]["optional-dependencies"]["dev"]:
        name = canonicalize_name(Requirement(extra).name)
        assert name == "recovery-coach" or name in dev, f"{extra} is not in requirements-dev.txt: run `make lock`"
    installed: dict[str, str] = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    drift = {n: (v, installed.get(n)) for n, v in dev.items() if n in installed and installed[n] != v}
    assert not drift, f"the venv differs from requirements-dev.txt (locked, installed): {drift}; run `make install`"


def test_tests_run_on_the_python_the_function_runs_on() -> None:
    runtime = load_template(DEFAULT_TEMPLATE)["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"


BLOCK_DEV_PACKAGES = """
import importlib.abc, sys
from importlib import metadata
from packaging.utils import canonicalize_name
runtime = set(sys.argv[1].split(","))
blocked = {top for top, dists in metadata.packages_distributions().items()
           if not {canonicalize_name(d) for d in dists} & runtime}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in blocked:
            raise ImportError(f"{name} is not in lambda/requirements.txt")
        return None
for name in list(sys.modules):  # packaging, imported above, goes too
    if name.partition(".")[0] in blocked:
        del sys.modules[name]
sys.meta_path.insert(0, Block())
sys.argv = ["recovery-coach", *sys.argv[2:]]
from recovery_coach.cli import main
sys.exit(main())
"""


def test_chat_needs_only_what_the_function_needs(tmp_path: Path) -> None:
    """`make chat` installs lambda/requirements.txt only: a whole conversation runs with every other
    installed package unimportable (check-in, sharing, the report card, a reminder, the report)."""
    import os
    import subprocess

    runtime = ",".join([*locked(ROOT / "lambda" / "requirements.txt"), "recovery-coach"])
    env = {**os.environ, "RECOVERY_COACH_DB": str(tmp_path / "db.sqlite3")}
    talk = ("log my pain as six\nno\nshare my check-ins with my caregiver\ncall me Mom\n"
            "send the report link to my caregiver\nremind me to check in every day at 9 am\nyes\ny\nstop\n")
    for args, stdin, says in (
        (["chat"], talk, "I'll remind you every day at 9 AM"),
        (["ask", "do I have a reminder"], "", "9 AM"),
        (["report", "-o", "-"], "", "<title>Pain check-ins for "),
    ):
        done = subprocess.run([sys.executable, "-c", BLOCK_DEV_PACKAGES, runtime, *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0 and says in done.stdout, done.stderr[-2000:]
        assert "[Card: Pain report link]" in done.stdout or args != ["chat"]
