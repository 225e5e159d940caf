"""The date-sensitive tests (pytest -m dates) at chosen instants: month and year ends, both DST
changes, a leap day. Each instant is its own pytest process with the process clock moved there
(tests/conftest.py reads RECOVERY_COACH_TEST_NOW; time-machine moves the wall clock). The local
times are the default zone's (America/Chicago), which the tests' devices use.

Two instants run at a time (two cores), against one DynamoDB Local started here for all ten (each
test makes its own table): a JVM per instant cost more than the tests that use it. Each instant's
output is printed whole, in the list's order.

    scripts/test-instants .venv/bin/python      (make test runs it inside scripts/isolated)
    INSTANT_JOBS=1 scripts/test-instants ...    one instant at a time
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests.dynamo_local import FAKE_AWS_ENV, SHARED_PORT_ENV, DynamoLocal

INSTANTS = [
    ("2027-03-10T00:30:00Z", "00:30 UTC: still the previous evening in the US"),
    ("2027-04-30T05:01:00Z", "00:01 local on the last day of a month"),
    ("2027-05-01T04:59:00Z", "23:59 local on the last day of a month"),
    ("2027-12-31T06:01:00Z", "00:01 local on the last day of the year"),
    ("2028-01-01T05:59:00Z", "23:59 local on the last day of the year"),
    ("2027-03-14T07:59:00Z", "01:59 local, a minute before the spring-forward gap (02:00 CST -> 03:00 CDT)"),
    ("2027-03-14T08:01:00Z", "03:01 local, just after the spring-forward gap"),
    ("2027-11-07T06:30:00Z", "01:30 CDT, the first pass through the repeated hour"),
    ("2027-11-07T07:30:00Z", "01:30 CST, the second pass (the clock fell back)"),
    ("2028-02-29T18:00:00Z", "noon local on a leap day"),
]
TIMEOUT = 900  # seconds for one instant's run; a hung run fails, it never stalls CI


def run(instant: str, what: str, env: dict[str, str]) -> tuple[bool, str]:
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "dates", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(cmd, env={**env, "RECOVERY_COACH_TEST_NOW": instant}, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
        ok, output = done.returncode == 0, done.stdout
    except subprocess.TimeoutExpired as e:  # its output is bytes, whatever text= said
        partial = e.output.decode(errors="replace") if isinstance(e.output, bytes) else (e.output or "")
        ok, output = False, f"{partial}\n(no result after {TIMEOUT} s)"
    verdict = f"passed in {time.monotonic() - started:.0f} s" if ok else "FAILED"
    return ok, f"{output.rstrip()}\n=== dates at {instant} ({what}): {verdict}\n"


def main() -> int:
    jobs = int(os.environ.get("INSTANT_JOBS", "2"))
    with DynamoLocal() as local:
        env = {**os.environ, **FAKE_AWS_ENV, SHARED_PORT_ENV: str(local.port)}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run, instant, what, env) for instant, what in INSTANTS]
            results = []
            for future in futures:  # in the list's order; they finish about evenly
                ok, report = future.result()
                print(report, end="", flush=True)
                results.append(ok)
    failed = results.count(False)
    print(f"=== instants: {len(results) - failed} of {len(results)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
