"""The deployable function's size, as `sam build` assembles it for arm64 / python3.12.

    python -m bench.package --json .tools/package.json      (needs PyPI: run outside scripts/isolated)
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Why each top-level piece is in the package, and whether a turn needs it.
NEEDED = {
    "recovery_coach": "yes: the skill",
    "ask_sdk_model": "yes: request/response models",
    "ask_sdk_core": "yes: dispatch",
    "ask_sdk_runtime": "yes: dispatch",
    "tzdata": "only if the runtime has no zoneinfo database",
    "dateutil": "yes: ask-sdk-model's timestamps",
    "charset_normalizer": "no: requests' dependency (SDK API client, unused)",
    "urllib3": "no: requests' dependency (SDK API client, unused)",
    "requests": "no: SDK API client, unused (we call Alexa APIs with urllib)",
    "idna": "no: requests' dependency",
    "certifi": "no: requests' dependency",
    "six": "yes: ask-sdk-model imports it",
    "python_dateutil": "yes: ask-sdk-model's timestamps",
    "bin": "no: console scripts",
}
def package_size(work: Path) -> dict[str, Any]:
    """The deployable function as `sam build` would assemble it for arm64 / python3.12."""
    pkg = work / "package"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(pkg), "--only-binary=:all:",
                    "--platform", "manylinux2014_aarch64", "--python-version", "3.12", "--implementation", "cp",
                    "-r", str(ROOT / "lambda" / "requirements.txt")], check=True, timeout=300)
    for item in ("lambda_function.py", "report_function.py", "recovery_coach"):
        source = ROOT / "lambda" / item
        if source.is_dir():
            shutil.copytree(source, pkg / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, pkg / item)
    sizes: dict[str, int] = {}
    total = 0
    for f in pkg.rglob("*"):
        if f.is_file():
            top = f.relative_to(pkg).parts[0]
            top = top.split("-")[0] if top.endswith((".dist-info",)) else top
            sizes[top] = sizes.get(top, 0) + f.stat().st_size
            total += f.stat().st_size
    archive = work / "function.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(pkg.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(pkg))
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
    return {"unzipped_kb": round(total / 1024), "zipped_kb": round(archive.stat().st_size / 1024),
            "largest": [{"name": k, "kb": round(v / 1024), "needed": NEEDED.get(k, "?")} for k, v in largest]}




def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json", type=Path, required=True)
    args = p.parse_args()
    result = package_size(Path(tempfile.mkdtemp(prefix="package-")))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
