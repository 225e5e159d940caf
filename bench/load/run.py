"""Load test: 50 signed simulated patients against `recovery-coach serve`'s server on 127.0.0.1,
with DynamoDB Local behind it, then proof that every confirmed check-in is in the table.

    python -m bench.load.run --seconds 60 --users 50          # the benchmark (make load)
    python -m bench.load.run --seconds 2 --users 5            # the small version make test runs

Run it inside scripts/isolated (make does): everything stays on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.alexa_certs import write_test_ca
from tests.dynamo_local import DynamoLocal, create_tables_from_template, make_client

ROOT = Path(__file__).resolve().parents[2]
SKILL_ID = "amzn1.ask.skill.10ad7e57-0000-4000-8000-000000000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not healthy at {url}")


def _ms(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def stats(csv_path: Path) -> dict[str, Any]:
    rows = {r["Name"]: r for r in csv.DictReader(csv_path.open())}
    out: dict[str, Any] = {}
    for name, r in rows.items():
        out[name] = {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "rps": round(float(r["Requests/s"]), 1),
            "p50_ms": _ms(r["50%"]),  # "N/A" when nothing of that name finished in time
            "p99_ms": _ms(r["99%"]),
        }
    return out


def missing_checkins(client: Any, table: str, confirmed: list[list[Any]]) -> list[str]:
    """Each check-in the server confirmed, looked up in the table by its user's key."""
    lost = []
    for user_id, score in confirmed:
        pk = "USER#" + hashlib.sha256(user_id.encode()).hexdigest()
        items = client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":c": {"S": "CHECKIN#"}},
            ConsistentRead=True,
        )["Items"]
        if not any(int(i["score"]["N"]) == score for i in items):
            lost.append(user_id[-12:])
    return lost


def run(seconds: int, users: int, workers: int, connections: int = 1000) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="load-"))
    write_test_ca(work)  # root.pem, chain.pem, key.pem
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
        "SKILL_ID": SKILL_ID, "SHARE_SECRET": "load-test-secret-" + "k" * 32, "LOAD_KEY": str(work / "key.pem"), "LOAD_RESULTS": str(work / "results.json"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]),
    }
    for key in ("AWS_PROFILE",):
        env.pop(key, None)
    with DynamoLocal() as local:
        client = make_client(local.endpoint)
        table = "load-" + str(int(time.time()))
        create_tables_from_template(client, ROOT / "template.yaml", table_name=table)
        env.update(TABLE_NAME=table, DYNAMODB_ENDPOINT=local.endpoint)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.load.server", "--port", str(port), "--workers", str(workers),
             "--connections", str(connections), "--certs", str(work)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"),
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/health", 20)
            locust = [
                sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
                "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
                "--csv", str(work / "load"), "--only-summary", "--stop-timeout", "5", "--exit-code-on-error", "0",
            ]
            subprocess.run(locust, env=env, cwd=ROOT, check=True, timeout=seconds + 60,
                           stdout=subprocess.DEVNULL, stderr=open(work / "locust.log", "w"))
        finally:
            server.terminate()
            server.wait(timeout=15)
        confirmed = json.loads((work / "results.json").read_text())["checkins"]
        lost = missing_checkins(client, table, confirmed)
    result = {
        "seconds": seconds, "users": users, "workers": workers, "connections": connections,
        "stats": stats(work / "load_stats.csv"), "checkins_confirmed": len(confirmed), "checkins_missing": len(lost),
        "logs": str(work),
    }
    return result


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = run(args.seconds, args.users, args.workers, args.connections)
    total = result["stats"]["Aggregated"]
    print(f"{args.users} users, {args.seconds}s, {args.workers} gevent workers, verification on")
    for name, s in result["stats"].items():
        print(f"  {name:10} {s['requests']:7d} requests  {s['failures']:4d} failures  {s['rps']:7.1f} req/s  "
              f"p50 {s['p50_ms'] or 0:6.0f} ms  p99 {s['p99_ms'] or 0:6.0f} ms")
    print(f"  check-ins confirmed {result['checkins_confirmed']}, missing from the table {result['checkins_missing']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    ok = total["failures"] == 0 and result["checkins_missing"] == 0 and total["requests"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
