"""Slow clients against `recovery-coach serve`'s server: `stalled` connections that trickle their
headers a byte at a time or promise a body and never finish it (each one reopened as soon as the
server drops it, so that many are stalled all the time), while /health and a signed red-flag
question are asked over and over, each with a 1 s client timeout.

    python -m bench.load.slow --seconds 20 --stalled 50        # the benchmark (make slow)

Run it inside scripts/isolated (make does): everything stays on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bench.load.run import ROOT, SKILL_ID, free_port, wait_healthy
from recovery_coach import envelope
from tests.alexa_certs import write_test_ca

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
URGENT = "Call 911 now"


def _stall(port: int, kind: str, stop: threading.Event, counts: dict[str, int], lock: threading.Lock) -> None:
    """One stalled client: opens, stalls, and when the server drops it, opens again."""
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            time.sleep(0.1)
            continue
        try:
            if kind == "body":  # the whole head, a promise of 4 KiB, 10 bytes of it
                s.sendall(head + b"Content-Length: 4096\r\n\r\n" + b'{"version"')
                s.settimeout(0.5)
                while not stop.is_set():
                    try:
                        data = s.recv(4096)
                    except TimeoutError:
                        continue
                    with lock:
                        counts["408" if b" 408 " in data[:20] else "dropped"] += 1
                    break
            else:  # the head, one byte every 0.5 s
                for byte in head * 100:
                    if stop.wait(0.5):
                        break
                    s.sendall(bytes([byte]))
        except OSError:
            with lock:
                counts["dropped"] += 1
        finally:
            s.close()


def _signed_red_flag() -> tuple[bytes, dict[str, str]]:
    device = envelope.Device(user_id="amzn1.ask.account.SLOW-PROBE", skill_id=SKILL_ID)
    slots = {"question": envelope.slot_json("question", "my legs are numb and weak")}
    body = json.dumps(envelope.intent("AskQuestionIntent", device, envelope.Session(), slots)).encode()
    return body, {"Content-Type": "application/json", "SignatureCertChainUrl": CERT_URL}


def _probe(url: str, body: bytes | None, headers: dict[str, str], key: Any, expect: str) -> float | None:
    """Seconds to a right answer, or None (an error, a wrong answer, or no answer in 1 s)."""
    if body is not None:  # re-signed each time: the timestamp check allows 150 s
        headers = {**headers, "Signature-256": base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()}
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=1) as r:
            ok = r.status == 200 and expect in r.read().decode()
    except (OSError, urllib.error.HTTPError):
        return None
    return time.perf_counter() - started if ok else None


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


def run(seconds: float, stalled: int, workers: int = 1, header_timeout: float = 5.0, body_timeout: float = 5.0) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="slow-"))
    write_test_ca(work)
    key = serialization.load_pem_private_key((work / "key.pem").read_bytes(), password=None)
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT")}
    env.update(SKILL_ID=SKILL_ID, SHARE_SECRET="slow-test-secret-" + "k" * 32, RECOVERY_COACH_DB=str(work / "db.sqlite3"),
               HEADER_TIMEOUT=str(header_timeout), BODY_TIMEOUT=str(body_timeout),
               PYTHONPATH=os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.load.server", "--port", str(port), "--workers", str(workers), "--certs", str(work)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"),
    )
    stop, lock = threading.Event(), threading.Lock()
    counts = {"408": 0, "dropped": 0}
    latencies: dict[str, list[float]] = {"health": [], "red_flag": []}
    failures = {"health": 0, "red_flag": 0}
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", 20)
        attackers = [threading.Thread(target=_stall, args=(port, "body" if i % 2 else "head", stop, counts, lock), daemon=True)
                     for i in range(stalled)]
        for t in attackers:
            t.start()
        time.sleep(1.0)  # every stalled connection is open and stuck before the first probe
        body, headers = _signed_red_flag()
        base = f"http://127.0.0.1:{port}"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, args in (("health", (f"{base}/health", None, {}, key, '"ok"')),
                               ("red_flag", (f"{base}/", body, headers, key, URGENT))):
                took = _probe(*args)
                if took is None:
                    failures[name] += 1
                else:
                    latencies[name].append(took)
            time.sleep(0.05)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=15)
    return {
        "seconds": seconds, "stalled": stalled, "workers": workers,
        "header_timeout": header_timeout, "body_timeout": body_timeout,
        **{name: {"answered": len(v), "failed": failures[name], "p50_ms": round(sorted(v)[len(v) // 2] * 1000, 1) if v else None,
                  "p99_ms": round(p99(v) * 1000, 1), "max_ms": round(max(v) * 1000, 1) if v else None}
           for name, v in latencies.items()},
        "stalled_bodies_answered_408": counts["408"], "stalled_connections_dropped": counts["dropped"],
        "logs": str(work),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--stalled", type=int, default=50)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = run(args.seconds, args.stalled, args.workers)
    print(f"{args.stalled} stalled connections for {args.seconds:.0f} s, {args.workers} gevent worker(s), verification on")
    for name in ("health", "red_flag"):
        r = result[name]
        print(f"  {name:9} {r['answered']:5d} answered  {r['failed']:3d} failed  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms")
    print(f"  stalled bodies answered 408: {result['stalled_bodies_answered_408']}, "
          f"stalled connections dropped: {result['stalled_connections_dropped']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    ok = all(result[n]["failed"] == 0 and result[n]["answered"] > 0 and result[n]["p99_ms"] < 1000 for n in ("health", "red_flag"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
