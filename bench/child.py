"""One skill in one fresh process: `cold` (import + first launch), `warm` (turns in a loop), `memory`.

    python bench/child.py SKILL MODE ENVELOPES.json      (SKILL: ours | core | adapter)

Prints one JSON line. Envelopes come from a file, so this process imports nothing of ours
except the skill under test.

With BENCH_TASK set (a deployed build; run as `python -S -B`), the path is Lambda's: the build
first, as /var/task is, then BENCH_RUNTIME (the runtime's own packages: boto3 and what it needs).
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

STARTED = time.perf_counter()
ROOT = __file__.rsplit("/bench/", 1)[0]
TASK = os.environ.get("BENCH_TASK")
if TASK:
    sys.path[0:1] = [TASK]  # not bench/: nothing but the build and the runtime
    sys.path.append(os.environ["BENCH_RUNTIME"])


def load_skill(name: str):
    if name != "ours" and not TASK:
        sys.path.insert(0, f"{ROOT}/bench/baselines/hello_{name}")
    import lambda_function

    return lambda_function


def storage_client(name: str, module) -> Any:
    if name == "ours":
        from recovery_coach import skill

        store: Any = skill.default_services().store  # a DynamoStore here
        return store.client
    if name == "core":
        return module.dynamodb
    return module.adapter.dynamodb.meta.client


def main() -> None:
    name, mode, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path) as f:
        envelopes = json.load(f)
    module = load_skill(name)
    imported = time.perf_counter()
    if mode == "cold":
        response = module.lambda_handler(envelopes["launch"][0], None)
        assert response["response"]["outputSpeech"], response
        done = time.perf_counter()
        # done_at: CLOCK_MONOTONIC, the parent's clock too, so its figure ends at the answer, not at exit.
        print(json.dumps({"import_ms": (imported - STARTED) * 1000, "first_turn_ms": (done - imported) * 1000,
                          "done_at": done}))
        return
    calls = {"n": 0}

    def count(**_: object) -> None:
        calls["n"] += 1

    module.lambda_handler(envelopes["launch"][0], None)  # warm up: clients built, content loaded
    storage_client(name, module).meta.events.register("before-call.dynamodb", count)
    if mode == "memory":
        kinds = list(envelopes)
        for i in range(1000):
            batch = envelopes[kinds[i % len(kinds)]]
            module.lambda_handler(batch[i % len(batch)], None)
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
        with open("/proc/self/status") as status:
            hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        print(json.dumps({"peak_rss_mb": hwm_kb / 1024}))
        return
    later = None
    if name == "ours" and os.environ.get("BENCH_ANSWER_FIRST"):  # as the Lambda extension, the webhook, the CLI
        from recovery_coach import skill

        skill.answer_first()
        later = skill.run_later
    out: dict[str, object] = {}
    for kind, batch in envelopes.items():
        times = []
        trips = 0
        for event in batch:
            before = calls["n"]
            t0 = time.perf_counter()
            response = module.lambda_handler(event, None)
            times.append((time.perf_counter() - t0) * 1000)
            trips += calls["n"] - before
            assert response["response"].get("outputSpeech"), (kind, response)
            if later is not None and len(times) % 100 == 0:
                # The turns' later writes, made after their answers, as the entry points make them:
                # not part of any turn's latency. A hundred at a time, so the timed turns run back to
                # back as every other row's do (a write between each two slows the next turn's CPU
                # work about 2x on this machine: BENCHMARKS.md).
                later()
        if later is not None:
            later()
        out[kind] = {"times_ms": times, "round_trips": trips / len(batch)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
