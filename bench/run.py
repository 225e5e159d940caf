"""`make bench`: our skill next to two ASK SDK baselines, on one machine, in one run.

Cold start (fresh process → first LaunchRequest answered, storage read included), warm turn
latency, DynamoDB round trips per turn, peak RSS, and the deployable package's size.
Everything talks to one DynamoDB Local on 127.0.0.1. Prints a table; writes bench/results.json.

Cold start is measured three ways, each skill alternating with the others:
- deployed: each skill built as we deploy (bench.package: lambda/Makefile, with unchecked-hash
  bytecode), run from that read-only build with Lambda's path and bytecode writing off;
- deployed_source_only: the same, built as SAM's default python_pip build does (no .pyc), so every
  module is compiled on every cold start;
- dev tree: the checkout, with .pyc warmed by a throwaway run (what earlier figures measured).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recovery_coach import envelope
from recovery_coach.checkins import Checkin  # noqa: F401  (seeding goes through the real store)
from recovery_coach.handlers.base import user_key
from recovery_coach.records import Profile
from recovery_coach.store.dynamodb import DynamoStore
from tests.dynamo_local import DynamoLocal, create_tables_from_template, make_client

ROOT = Path(__file__).resolve().parents[1]
SKILLS = ("ours", "core", "adapter")
DEPLOYED_BUILDS = {
    "bytecode": "as deployed: lambda/Makefile (SAM BuildMethod makefile), unchecked-hash .pyc; read-only, "
                "Lambda's sys.path, python -S -B",
    "source": "SAM's default python_pip build (lambda/Makefile COMPILE=0): no .pyc; read-only, "
              "Lambda's sys.path, python -S -B",
}
TARGETS: dict[str, Any] = {
    "cold_vs_adapter": 0.6,
    "cold_vs_core": 1.1,
    "question_p99_ms": 2.0,
    "question_vs_hello": 1.5,
    "round_trips": {"question": 0, "launch": 1, "checkin": 2, "summary": 1, "urgent": 0},
}
# The skill with caregiver alerts configured (issue 33): only what the alert adds to a patient's turn.
ALERTS_ENV = {"LWA_CLIENT_ID": "amzn1.application-oa2-client.bench", "LWA_CLIENT_SECRET": "bench-secret"}


def cpu_now() -> tuple[float, float, float]:
    """(monotonic seconds, CPU seconds the whole machine has been busy, CPU seconds of this process and
    the children it has waited for: every skill's process and DynamoDB Local)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return time.monotonic(), busy, sum(r.ru_utime + r.ru_stime for r in own)


def background_cores(start: tuple[float, float, float], end: tuple[float, float, float]) -> float:
    """How many cores everything but this run kept busy, on average, between two cpu_now() readings."""
    wall, busy, ours = (b - a for a, b in zip(start, end, strict=True))
    return max(0.0, (busy - ours) / wall) if wall > 0 else 0.0


def turn_row(timed: dict[str, Any]) -> dict[str, Any]:
    """One warm row of the table: a kind of turn's p50 and p99, count and DynamoDB calls per turn."""
    times = timed["times_ms"]
    return {"p50_ms": round(pct(times, 50), 3), "p99_ms": round(pct(times, 99), 3), "turns": len(times),
            "round_trips": timed["round_trips"]}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ours_envelopes(n: int) -> dict[str, list[dict[str, Any]]]:
    """Our turns. Mid-session turns carry the session attributes Alexa would send back."""
    returning = envelope.Device(user_id="amzn1.ask.account.BENCH-RETURNING")
    session = envelope.Session(attributes={"disclaimer_done": True}, new=False)

    def ask(name: str, words: str) -> dict[str, Any]:
        return envelope.intent(name, returning, session, {"question": envelope.slot_json("question", words)})

    checkins, urgent = [], []
    for i in range(n // 3):
        device = envelope.Device(user_id=f"amzn1.ask.account.BENCH-CHECKIN-{i}")
        slots = {"score": envelope.slot_json("score", str(i % 11))}
        checkins.append(envelope.intent("CheckInIntent", device, envelope.Session(attributes={"disclaimer_done": True}), slots))
        patient = envelope.Device(user_id=f"amzn1.ask.account.BENCH-URGENT-{i}")  # each a first warning sign today
        urgent.append(envelope.intent("ReportSymptomIntent", patient, envelope.Session(),
                                      {"symptom": envelope.slot_json("symptom", "I can't feel my legs")}))
    return {
        "urgent": urgent,
        "launch": [envelope.launch(returning)] * (n // 3),
        "question": [ask("AskWhenIntent", "drive again")] * n,
        "uncovered": [ask("AskQuestionIntent", "go swimming")] * n,
        "checkin": checkins,
        "summary": [envelope.intent("ReviewWeekIntent", returning, session)] * (n // 3),
    }


def hello_envelopes(n: int) -> dict[str, list[dict[str, Any]]]:
    device = envelope.Device(user_id="amzn1.ask.account.BENCH-RETURNING")
    session = envelope.Session(new=False)
    return {
        "launch": [envelope.launch(device)] * (n // 3),
        "hello": [envelope.intent("HelloWorldIntent", device, session)] * n,
    }


def child(skill: str, mode: str, path: Path, env: dict[str, str], flags: tuple[str, ...] = ()) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *flags, str(ROOT / "bench" / "child.py"), skill, mode, str(path)],
                          env=env, capture_output=True, text=True, timeout=600)
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{skill} {mode} failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if "done_at" in data:  # a cold start ends with the first answer, as Lambda's does, not with the exit
        wall = (data["done_at"] - started) * 1000
    return data, wall


# What the Lambda python3.12 runtime brings: boto3 and its dependencies (with their bytecode).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def runtime_dir(work: Path) -> Path:
    """A stand-in for the runtime's own packages: links to the venv's copies of just those."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    runtime = work / "runtime"
    runtime.mkdir()
    for name in RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site / name)
    return runtime


def cold_runs(runs: int, files: dict[str, Path], envs: dict[str, dict[str, str]],
              flags: tuple[str, ...] = ()) -> dict[str, Any]:
    for skill in SKILLS:  # one throwaway run each: the disk cache warm for all (and .pyc, where written)
        child(skill, "cold", files[skill], envs[skill], flags)
    cold: dict[str, list[float]] = {s: [] for s in SKILLS}
    inside: dict[str, list[dict[str, float]]] = {s: [] for s in SKILLS}
    for i in range(runs):  # alternate, rotating who goes first
        order = SKILLS[i % 3:] + SKILLS[: i % 3]
        for skill in order:
            parts, wall = child(skill, "cold", files[skill], envs[skill], flags)
            cold[skill].append(wall)
            inside[skill].append(parts)
    out: dict[str, Any] = {
        s: {"median": round(statistics.median(v), 1), "min": round(min(v), 1), "max": round(max(v), 1),
            "stdev": round(statistics.stdev(v), 1), "runs": len(v),
            "import_median": round(statistics.median(x["import_ms"] for x in inside[s]), 1),
            "first_turn_median": round(statistics.median(x["first_turn_ms"] for x in inside[s]), 1)}
        for s, v in cold.items()
    }
    # Ours over each baseline within the same round, then the median: steadier than a ratio of
    # medians when the shared machine's speed drifts between rounds.
    out["paired_ratio_median"] = {
        f"ours_vs_{b}": round(statistics.median(o / x for o, x in zip(cold["ours"], cold[b], strict=True)), 3)
        for b in ("adapter", "core")
    }
    # ... and their spread: the middle half of the rounds' ratios (25th to 75th percentile), min and max.
    out["paired_ratio_spread"] = {
        f"ours_vs_{b}": [round(q, 3) for q in (min(r), *statistics.quantiles(r, n=4)[::2], max(r))]
        for b in ("adapter", "core") for r in [[o / x for o, x in zip(cold["ours"], cold[b], strict=True)]]
    }
    return out


def bytecode_used(task: str, file: Path, env: dict[str, str]) -> dict[str, int]:
    """One cold start under `python -v`: which of the build's modules came from .pyc, which from source."""
    done = subprocess.run([sys.executable, "-S", "-B", "-v", str(ROOT / "bench" / "child.py"), "ours", "cold", str(file)],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    loaded = re.findall(rf"^# code object from '?{re.escape(task)}/(\S+?)'?$", done.stderr, re.M)
    return {"from_pyc": sum(p.endswith(".pyc") for p in loaded), "from_source": sum(p.endswith(".py") for p in loaded)}


def pyc_files(tree: str) -> int:
    return sum(1 for _ in Path(tree).rglob("*.pyc"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--cold-runs", type=int, default=15)
    p.add_argument("--turns", type=int, default=3000, help="question turns per skill (others a third)")
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    p.add_argument("--package", type=Path, help="bench.package's JSON (it needs PyPI, so it runs first, outside)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    built = json.loads(args.package.read_text()) if args.package else {}
    builds: dict[str, dict[str, str]] = built.get("cold_start_builds") or {}
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "RECOVERY_COACH_DB")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
               PYTHONPATH=os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]), PYTHONDONTWRITEBYTECODE="")
    results: dict[str, Any] = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform(),
                                           "load_average_start": [round(x, 2) for x in os.getloadavg()]}}
    cpu_start = cpu_now()
    with DynamoLocal() as local:
        client = make_client(local.endpoint)
        create_tables_from_template(client, ROOT / "template.yaml", table_name="bench-ours")
        for table in ("bench-core", "bench-adapter"):
            client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        store = DynamoStore(client, "bench-ours")
        returning = user_key("amzn1.ask.account.BENCH-RETURNING")
        store.save_profile(returning, Profile(disclaimer_heard=True))
        today = datetime.now(timezone.utc).date()
        for back, score in enumerate([3, 4, 4, 5, 6]):
            store.save_checkin(returning, today.fromordinal(today.toordinal() - back - 1), score, datetime.now(timezone.utc))
        envs = {
            "ours": {**env, "TABLE_NAME": "bench-ours", "DYNAMODB_ENDPOINT": local.endpoint},
            "core": {**env, "BENCH_TABLE": "bench-core", "BENCH_ENDPOINT": local.endpoint},
            "adapter": {**env, "BENCH_TABLE": "bench-adapter", "BENCH_ENDPOINT": local.endpoint},
        }
        files = {}
        for skill in SKILLS:
            files[skill] = work / f"{skill}.json"
            files[skill].write_text(json.dumps(ours_envelopes(args.turns) if skill == "ours" else hello_envelopes(args.turns)))
        cold_files = {}  # just the launch: reading a big envelope file must not count as start-up
        for skill in SKILLS:
            cold_files[skill] = work / f"{skill}-cold.json"
            launch = (ours_envelopes(3) if skill == "ours" else hello_envelopes(3))["launch"][:1]
            cold_files[skill].write_text(json.dumps({"launch": launch}))
        if builds:
            runtime = runtime_dir(work)
            for build, key in (("bytecode", "cold_start_deployed_ms"), ("source", "cold_start_deployed_source_only_ms")):
                tasks = builds[build]
                before = {s: pyc_files(tasks[s]) for s in SKILLS}
                deployed = {s: {k: v for k, v in envs[s].items() if k != "PYTHONPATH"} | {
                    "BENCH_TASK": tasks[s], "BENCH_RUNTIME": str(runtime)} for s in SKILLS}
                results[key] = cold_runs(args.cold_runs, cold_files, deployed, ("-S", "-B"))
                results[key]["build"] = DEPLOYED_BUILDS[build]
                results[key]["ours_modules_loaded"] = bytecode_used(tasks["ours"], cold_files["ours"], deployed["ours"])
                after = {s: pyc_files(tasks[s]) for s in SKILLS}
                assert after == before, f"a run wrote bytecode into a build: {before} -> {after}"
        results["cold_start_ms"] = cold_runs(args.cold_runs, cold_files, envs)
        warm: dict[str, Any] = {}
        for skill in SKILLS:
            data, _ = child(skill, "warm", files[skill], envs[skill])
            warm[skill] = {k: turn_row(v) for k, v in data.items()}
        # The urgent reply again, with caregiver alerts configured: the same turns, now queueing an alert.
        alerting = work / "ours-alerting.json"
        both = ours_envelopes(args.turns)
        alerting.write_text(json.dumps({"launch": both["launch"][:1], "urgent": both["urgent"]}))
        # Twice: as Lambda without its post-response extension (the alert written before the answer is
        # returned), and answering first, as the extension, the webhook and the CLI do.
        for row, extra in (("ours+alerts", {}), ("ours+alerts answer first", {"BENCH_ANSWER_FIRST": "1"})):
            data, _ = child("ours", "warm", alerting, envs["ours"] | ALERTS_ENV | extra)
            warm[row] = {"urgent": turn_row(data["urgent"])}
        results["warm"] = warm
        small = {}  # the same small envelope set size for every skill, so the file doesn't weigh in
        for skill in SKILLS:
            small[skill] = work / f"{skill}-memory.json"
            small[skill].write_text(json.dumps(ours_envelopes(60) if skill == "ours" else hello_envelopes(60)))
        results["peak_rss_mb"] = {s: round(child(s, "memory", small[s], envs[s])[0]["peak_rss_mb"], 1) for s in SKILLS}
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["machine"]["background_cores"] = round(background_cores(cpu_start, cpu_now()), 3)
    results["package"] = built.get("package")
    c = results["cold_start_ms"]
    ratios: dict[str, float] = {}
    for key, prefix in (("cold_start_deployed_ms", "cold_deployed"), ("cold_start_deployed_source_only_ms", "cold_source_only")):
        if key in results:
            d = results[key]
            ratios[f"{prefix}_vs_adapter"] = round(d["ours"]["median"] / d["adapter"]["median"], 3)
            ratios[f"{prefix}_vs_core"] = round(d["ours"]["median"] / d["core"]["median"], 3)
    ratios |= {
        "cold_vs_adapter": round(c["ours"]["median"] / c["adapter"]["median"], 3),
        "cold_vs_core": round(c["ours"]["median"] / c["core"]["median"], 3),
        "question_vs_hello": round(warm["ours"]["question"]["p50_ms"] / warm["core"]["hello"]["p50_ms"], 3),
        "uncovered_vs_hello": round(warm["ours"]["uncovered"]["p50_ms"] / warm["core"]["hello"]["p50_ms"], 3),
        "urgent_alerts_vs_urgent": round(warm["ours+alerts"]["urgent"]["p50_ms"] / warm["ours"]["urgent"]["p50_ms"], 3),
        "urgent_alerts_answer_first_vs_urgent": round(
            warm["ours+alerts answer first"]["urgent"]["p50_ms"] / warm["ours"]["urgent"]["p50_ms"], 3),
    }
    results["ratios"] = ratios
    cold = "cold_deployed" if "cold_deployed_vs_adapter" in ratios else "cold"  # as deployed, where measured
    checks = {
        f"{cold} <= 0.6x adapter": ratios[f"{cold}_vs_adapter"] <= TARGETS["cold_vs_adapter"],
        f"{cold} <= 1.1x core+boto3": ratios[f"{cold}_vs_core"] <= TARGETS["cold_vs_core"],
        "question p99 <= 2 ms": warm["ours"]["question"]["p99_ms"] <= TARGETS["question_p99_ms"],
        "question <= 1.5x hello": ratios["question_vs_hello"] <= TARGETS["question_vs_hello"]
        and ratios["uncovered_vs_hello"] <= TARGETS["question_vs_hello"],
    }
    for kind, limit in TARGETS["round_trips"].items():
        checks[f"{kind} round trips <= {limit}"] = warm["ours"][kind]["round_trips"] <= limit
    # Issue 33: with caregiver alerts on, the urgent reply still waits on no store, where the answer goes first.
    checks["urgent round trips <= 0, alerts on, answer first"] = warm["ours+alerts answer first"]["urgent"]["round_trips"] <= 0
    results["targets_met"] = checks
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    return 0


# A quiet machine: a 1-minute load average at the start at most QUIET_LOAD (2 cores), and during the run
# other processes kept at most QUIET_BACKGROUND of a core busy. The load at the end is recorded too,
# but is no test of quiet: the run itself keeps about one core busy, so it ends near 1.0 on its own.
QUIET_LOAD = 1.0
QUIET_BACKGROUND = 0.1


def quiet(machine: dict[str, Any]) -> bool:
    return machine["load_average_start"][0] <= QUIET_LOAD and machine.get("background_cores", 1.0) <= QUIET_BACKGROUND


def report(r: dict[str, Any]) -> None:
    w = r["warm"]
    m = r["machine"]
    print(f"machine: {m['cpus']} cpus, Python {m['python']}; load average (1, 5, 15 min) at start "
          f"{m['load_average_start']}, at end {m['load_average_end']}; other processes during the run: "
          f"{m['background_cores']} cores")
    if not quiet(m):
        print(f"WARNING: not a quiet machine (load average above {QUIET_LOAD} at the start, or other processes "
              f"above {QUIET_BACKGROUND} core during the run); compare only within this run")
    for key, title in (("cold_start_deployed_ms", "as deployed (with our bytecode)"),
                       ("cold_start_deployed_source_only_ms", "as SAM's default build (no .pyc)"),
                       ("cold_start_ms", "from the dev tree, .pyc warmed")):
        if key not in r:
            continue
        c = r[key]
        print(f"\ncold start {title}: fresh process -> first LaunchRequest answered, storage read, ms")
        print(f"  {'skill':10} {'median':>8} {'min':>8} {'max':>8} {'stdev':>7} {'import':>8} {'1st turn':>9}")
        for s in SKILLS:
            x = c[s]
            print(f"  {s:10} {x['median']:8.1f} {x['min']:8.1f} {x['max']:8.1f} {x['stdev']:7.1f} {x['import_median']:8.1f} "
                  f"{x['first_turn_median']:9.1f}")
        print(f"  ours / baseline, per round: median {c['paired_ratio_median']}; "
              f"min, quartiles, max {c['paired_ratio_spread']}")
        if "ours_modules_loaded" in c:
            print(f"  ours' modules loaded: {c['ours_modules_loaded']}")
    print("\nwarm turns, in-process")
    print(f"  {'skill':8} {'turn':10} {'p50 ms':>8} {'p99 ms':>8} {'turns':>6} {'DynamoDB calls':>15}")
    for s in w:
        for k, v in w[s].items():
            print(f"  {s:8} {k:10} {v['p50_ms']:8.3f} {v['p99_ms']:8.3f} {v['turns']:6d} {v['round_trips']:15.2f}")
    print(f"\npeak RSS after 1000 mixed turns, MB: {r['peak_rss_mb']}")
    for build, pkg in (r["package"] or {}).items():
        print(f"package ({build}): {pkg['unzipped_kb']} KB unzipped, {pkg['zipped_kb']} KB zipped, "
              f"bytecode {pkg['bytecode']}; largest: "
              + ", ".join(f"{x['name']} {x['kb']} KB" for x in pkg["largest"]))
    print("\nratios:", r["ratios"])
    for name, ok in r["targets_met"].items():
        print(f"  {'MET ' if ok else 'MISS'} {name}")


if __name__ == "__main__":
    sys.exit(main())
