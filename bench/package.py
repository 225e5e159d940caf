"""Build the function the way it is deployed, measure its size, and build the cold-start copies.

    python -m bench.package --json .tools/package.json      (needs PyPI: run outside scripts/isolated)

1. The deployed package, for arm64 / python3.12, by the very recipe `sam build` runs
   (lambda/Makefile): with our bytecode, and with COMPILE=0, which is SAM's own python_pip build
   (no .pyc). Sizes of both; a check that every module of the first has an unchecked-hash .pyc.
2. For `bench.run`'s cold starts, the same two builds for this machine, of our skill and of both
   baselines. All three get the same locked dependencies (lambda/requirements.txt); boto3 is the
   runtime's for all three, as on Lambda, and so is not packaged.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SKILLS = ("ours", "core", "adapter")
BUILDS = ("bytecode", "source")
# Why each top-level piece is in the package, and whether a turn needs it.
NEEDED = {
    "recovery_coach": "yes: the skill",
    "ask_sdk_model": "yes: request/response models",
    "ask_sdk_core": "yes: dispatch",
    "ask_sdk_runtime": "yes: dispatch",
    "tzdata": "only if the runtime has no zoneinfo database",
    "dateutil": "yes: ask-sdk-model's timestamps",
    "snowballstemmer": "yes: English stems for the language models (imported on the first question)",
    "charset_normalizer": "no: requests' dependency (SDK API client, unused)",
    "urllib3": "no: requests' dependency (SDK API client, unused)",
    "requests": "no: SDK API client, unused (we call Alexa APIs with urllib)",
    "idna": "no: requests' dependency",
    "certifi": "no: requests' dependency",
    "six": "yes: ask-sdk-model imports it",
    "python_dateutil": "yes: ask-sdk-model's timestamps",
}
# compileall exactly as lambda/Makefile runs it.
COMPILE = ["-W", "ignore", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]


def make_function(artifacts: Path, *, arm64: bool, bytecode: bool) -> None:
    """`sam build`'s step for SkillFunction: lambda/Makefile with ARTIFACTS_DIR."""
    args = ["make", "--no-print-directory", "-C", str(ROOT / "lambda"), "build-SkillFunction",
            f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}", f"COMPILE={1 if bytecode else 0}"]
    if not arm64:
        args.append("PIP_PLATFORM=")
    subprocess.run(args, check=True, timeout=600, stdout=subprocess.DEVNULL)


def unchecked_pyc(pyc: Path) -> bool:
    """PEP 552: flags 0b01 = hash-based and not checked against the source."""
    header = pyc.read_bytes()[:8]
    return int.from_bytes(header[4:8], "little") == 0b01


def bytecode_coverage(pkg: Path) -> dict[str, int]:
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    sources = [p for p in pkg.rglob("*.py")]
    missing = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").is_file()]
    pycs = list(pkg.rglob(f"*.{tag}.pyc"))
    return {"modules": len(sources), "without_pyc": len(missing), "pyc": len(pycs),
            "unchecked_hash_pyc": sum(unchecked_pyc(p) for p in pycs)}


def size(pkg: Path, work: Path) -> dict[str, Any]:
    sizes: dict[str, int] = {}
    total = 0
    for f in pkg.rglob("*"):
        if f.is_file():
            top = f.relative_to(pkg).parts[0]
            top = re.sub(r"-[^-]+\.dist-info$", "", top).replace("-", "_") if top.endswith(".dist-info") else top
            top = top.removesuffix(".py")
            sizes[top] = sizes.get(top, 0) + f.stat().st_size
            total += f.stat().st_size
    archive = work / f"{pkg.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(pkg.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(pkg))
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
    return {"unzipped_kb": round(total / 1024), "zipped_kb": round(archive.stat().st_size / 1024),
            "largest": [{"name": k, "kb": round(v / 1024), "needed": NEEDED.get(k, "?")} for k, v in largest]}


def package_size(work: Path) -> dict[str, Any]:
    """The deployable function, arm64 / python3.12, as `sam build` builds it: with and without bytecode."""
    out: dict[str, Any] = {}
    for build in BUILDS:
        pkg = work / f"arm64-{build}"
        make_function(pkg, arm64=True, bytecode=build == "bytecode")
        out[build] = size(pkg, work)
        out[build]["bytecode"] = bytecode_coverage(pkg)
    return out


def locked_version(name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert match, f"{name} is not in requirements-dev.txt"
    return match.group(1)


def pip_target(target: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                    "--target", str(target), *args], check=True, timeout=600)


def read_only(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def cold_start_builds(out: Path) -> dict[str, dict[str, str]]:
    """Each skill in each build, for this machine, read-only: {build: {skill: directory}}."""
    if out.exists():
        for path in [out, *out.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(out)
    deps, extra = out / "deps", out / "adapter-deps"
    pip_target(deps, "--require-hashes", "-r", str(ROOT / "lambda" / "requirements.txt"))
    adapter = "ask-sdk-dynamodb-persistence-adapter"
    pip_target(extra, "--no-deps", f"{adapter}=={locked_version(adapter)}")
    dirs: dict[str, dict[str, str]] = {}
    for build in BUILDS:
        dirs[build] = {}
        for skill in SKILLS:
            task = out / build / skill
            if skill == "ours":
                make_function(task, arm64=False, bytecode=build == "bytecode")
            else:
                shutil.copytree(deps, task, ignore=shutil.ignore_patterns("bin"))
                if skill == "adapter":
                    shutil.copytree(extra, task, dirs_exist_ok=True, ignore=shutil.ignore_patterns("bin"))
                shutil.copy(ROOT / "bench" / "baselines" / f"hello_{skill}" / "lambda_function.py", task)
                if build == "bytecode":
                    subprocess.run([sys.executable, *COMPILE, "-s", str(task), "-p", "/var/task", str(task)],
                                   check=True, timeout=600)
            read_only(task)
            dirs[build][skill] = str(task)
    shutil.rmtree(deps)
    shutil.rmtree(extra)
    return dirs


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--builds", type=Path, default=ROOT / ".tools" / "bench-builds")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="package-") as work:
        result: dict[str, Any] = {"package": package_size(Path(work))}
    result["cold_start_builds"] = cold_start_builds(args.builds.resolve())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["package"]))
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
