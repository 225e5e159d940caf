"""The function package holds only what runs (issue 34): lambda/Makefile's code step, as `sam build`
runs it, leaves out what only a laptop or a self-hosted server needs, and the functions still answer
every kind of request from that copy alone, in a process of their own."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from recovery_coach import envelope

ROOT = Path(__file__).resolve().parents[2]

RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
import alerts_function, lambda_function, report_function
assert lambda_function.__file__.startswith(sys.argv[1]), lambda_function.__file__
events = json.load(sys.stdin)
out = [lambda_function.lambda_handler(event, None) for event in events["voice"]]
apl = "ask_sdk_model.interfaces.alexa.presentation.apl"
voice_loaded_apl = apl in sys.modules
shown = [lambda_function.lambda_handler(event, None) for event in events["screen"]]
page = report_function.handler({"rawPath": "/report/" + "x" * 32, "requestContext": {"http": {"method": "GET"}}})
loaded = sorted(m for m in sys.modules if m.startswith("recovery_coach"))
alerted = alerts_function.lambda_handler({"Records": [{"eventName": "INSERT", "dynamodb": {}}]}, None)
print(json.dumps({"replies": out, "voice_loaded_apl": voice_loaded_apl, "shown": shown, "report": page["statusCode"], "loaded": loaded, "alerts": alerted}))
"""


def local_only() -> list[str]:
    """The Makefile's LOCAL_ONLY list."""
    text = (ROOT / "lambda" / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"^LOCAL_ONLY := ((?:.*\\\n)*.*)$", text, re.M)
    assert block is not None
    return block.group(1).replace("\\\n", " ").split()


def requests() -> list[dict]:
    """One of each kind of request a patient or caregiver makes, each a new session."""
    patient = envelope.Device.for_user("patient")
    carer = envelope.Device.for_user("carer")

    def said(name: str, device: envelope.Device = patient, **slots: str) -> dict:
        return envelope.intent(name, device, envelope.Session(), {k: envelope.slot_json(k, v) for k, v in slots.items()})

    return [
        envelope.launch(patient, envelope.Session()),
        said("AskQuestionIntent", question="when can I drive"),
        said("CheckInIntent", score="4"),
        said("ReviewWeekIntent"),
        said("ReviewDayIntent", day="2026-11-30"),
        said("ReportSymptomIntent", symptom="legs are numb and weak"),
        said("ReportSymptomIntent", symptom="pain is a nine and i can't feel my legs"),
        said("ShareCheckInsIntent"),
        said("WhoCanSeeIntent"),
        said("AMAZON.HelpIntent"),
        said("GreetingIntent"),
        said("AMAZON.FallbackIntent"),
        said("PatientSummaryIntent", device=carer),
        said("PatientMedicineIntent", device=carer),
        envelope.launch(carer, envelope.Session()),
    ]


def screen_requests() -> list[dict]:
    """An Echo Show's question, a check-in and the week's chart: the screens come from the package too."""
    show = envelope.Device.for_user("viewer", interfaces={"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}})

    def said(name: str, **slots: str) -> dict:
        return envelope.intent(name, show, envelope.Session(), {k: envelope.slot_json(k, v) for k, v in slots.items()})

    return [said("AskQuestionIntent", question="when can I drive"), said("CheckInIntent", score="4"), said("ReviewWeekIntent")]


def test_the_function_package_holds_only_what_runs_and_runs_from_it(tmp_path: Path) -> None:
    build = tmp_path / "function"
    build.mkdir()
    subprocess.run(["make", "--no-print-directory", "-C", str(ROOT / "lambda"), "code", f"ARTIFACTS_DIR={build}"],
                   check=True, capture_output=True, timeout=60)
    left_out = local_only()
    assert left_out and all((ROOT / "lambda" / p).exists() for p in left_out)  # the list is not stale
    assert not [p for p in left_out if (build / p).exists()]
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "SKILL_ID")}
    env.update(HOME=str(tmp_path), RECOVERY_COACH_DB=str(tmp_path / "r.sqlite3"))
    done = subprocess.run([sys.executable, "-c", RUN, str(build)], input=json.dumps({"voice": requests(), "screen": screen_requests()}), text=True,
                          capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    error = "something went wrong on my side"
    speeches = [r["response"]["outputSpeech"]["ssml"] for r in result["replies"]]
    assert len(speeches) == len(requests()) and not [s for s in speeches if error in s]
    assert "saved your pain as 9" in speeches[6]
    assert result["report"] == 404
    assert result["alerts"] == {"sent": 0}  # the alerts function runs from the package too (alerts off here)
    assert not {"recovery_coach.resolver", "recovery_coach.cli", "recovery_coach.envelope"} & set(result["loaded"])
    assert "recovery_coach.alexa_api" not in result["loaded"]  # no turn here calls an Alexa API: no HTTP client
    assert not result["voice_loaded_apl"]  # a device without a screen never loads the SDK's APL models
    screens = [[(d["type"], d["token"]) for d in r["response"].get("directives", [])] for r in result["shown"]]
    render = "Alexa.Presentation.APL.RenderDocument"
    assert screens == [[(render, "answer")], [], [(render, "weekChart")]], screens  # a check-in has no card
