"""Simulated patients for the load test: questions, check-ins and weekly summaries, each request
signed like Alexa signs it (test CA). Every check-in the server confirms is recorded, so the
script can prove afterwards that the table holds each one."""
from __future__ import annotations

import base64
import json
import os
import random
import threading
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from locust import HttpUser, between, events, task

from recovery_coach import envelope

def _signing_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(os.environ["LOAD_KEY"]).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)  # Alexa signs with RSA
    return key


KEY = _signing_key()
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
SKILL_ID = os.environ["SKILL_ID"]
QUESTIONS = [
    ("AskWhenIntent", "drive again"),
    ("AskQuestionIntent", "lift my grandson"),
    ("AskWhenIntent", "the pain get better"),
    ("AskHowLongIntent", "does the procedure take"),
    ("AskQuestionIntent", "go swimming"),
]
confirmed: list[tuple[str, int]] = []
lock = threading.Lock()


@events.test_stop.add_listener
def write_results(**_: object) -> None:
    with lock:
        Path(os.environ["LOAD_RESULTS"]).write_text(json.dumps({"checkins": confirmed}))


class Patient(HttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        self.device = envelope.Device(user_id=f"amzn1.ask.account.LOAD-{uuid.uuid4()}", skill_id=SKILL_ID)
        self.check_in(self.device)  # so the weekly summary has something to say

    def post(self, event: dict, name: str, expect: str) -> bool:
        body = json.dumps(event).encode()
        signature = base64.b64encode(KEY.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
        headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": signature, "Content-Type": "application/json"}
        with self.client.post("/", data=body, headers=headers, name=name, catch_response=True) as r:
            ssml = ""
            if r.status_code == 200:
                ssml = (r.json().get("response", {}).get("outputSpeech") or {}).get("ssml", "")
            if r.status_code != 200 or expect not in ssml:
                r.failure(f"{r.status_code}: expected {expect!r}")
                return False
            return True

    def check_in(self, device: envelope.Device) -> None:
        score = random.randint(0, 10)
        slots = {"score": envelope.slot_json("score", str(score))}
        if self.post(envelope.intent("CheckInIntent", device, envelope.Session(), slots), "check-in",
                     f"Saved: your pain is {score} today"):
            with lock:
                confirmed.append((device.user_id, score))

    @task(5)
    def question(self) -> None:
        name, words = random.choice(QUESTIONS)
        slots = {"question": envelope.slot_json("question", words)}
        session = envelope.Session(attributes={"disclaimer_done": True}, new=False)
        self.post(envelope.intent(name, self.device, session, slots), "question", "<speak>")

    @task(3)
    def new_patient_checks_in(self) -> None:
        self.check_in(envelope.Device(user_id=f"amzn1.ask.account.LOAD-{uuid.uuid4()}", skill_id=SKILL_ID))

    @task(2)
    def weekly_summary(self) -> None:
        self.post(envelope.intent("ReviewWeekIntent", self.device, envelope.Session()), "summary", "You last logged")
