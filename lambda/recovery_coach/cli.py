"""`recovery-coach`: talk to the skill from a terminal, through the same lambda_handler AWS runs.

    recovery-coach ask "when can I drive"      one utterance, prints what Alexa would say
    recovery-coach chat                        a conversation (one utterance per line when piped)
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from lambda_function import lambda_handler
from recovery_coach import envelope
from recovery_coach.resolver import load_resolver
from recovery_coach.speech import to_plain


def _say(response: dict[str, Any]) -> str:
    speech = response.get("response", {}).get("outputSpeech") or {}
    return to_plain(speech.get("ssml") or speech.get("text") or "")


class Conversation:
    """One user on one device, turn by turn, as Alexa would drive the skill."""

    def __init__(self, user: str, locale: str) -> None:
        self.device = envelope.Device.for_user(user, locale=locale)
        self.resolver = load_resolver(locale)
        self.session = envelope.Session()
        self.ended = False

    def send(self, text: str) -> dict[str, Any]:
        heard = self.resolver.resolve(text)
        if heard.kind == "launch":
            event = envelope.launch(self.device, self.session)
        else:
            event = envelope.intent(heard.intent or "AMAZON.FallbackIntent", self.device, self.session, heard.slots)
        response = lambda_handler(event, None)
        self.ended = not self.session.advance(response)
        if self.ended:
            self.session = envelope.Session()
        return response


def _ask(args: argparse.Namespace, out: TextIO) -> int:
    response = Conversation(args.user, args.locale).send(args.utterance)
    out.write((json.dumps(response, indent=2) if args.json else _say(response)) + "\n")
    return 0


def _chat(args: argparse.Namespace, inp: TextIO, out: TextIO) -> int:
    talk = Conversation(args.user, args.locale)
    interactive = inp.isatty()
    out.write(f"Alexa: {_say(talk.send('open ' + talk.resolver.invocation))}\n")
    while not talk.ended:
        if interactive:
            out.write("You: ")
            out.flush()
        line = inp.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if not interactive:
            out.write(f"You: {text}\n")
        out.write(f"Alexa: {_say(talk.send(text))}\n")
        out.flush()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recovery-coach", description="Spine Recovery, in a terminal.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--user", default="patient", help="speak as this Alexa account (default: patient)")
    common.add_argument("--locale", default="en-US", help="Alexa locale, e.g. en-US")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", parents=[common], help="say one thing and print the answer")
    ask.add_argument("utterance")
    ask.add_argument("--json", action="store_true", help="print the whole response envelope")
    sub.add_parser("chat", parents=[common], help="hold a conversation")
    return p


def main(argv: list[str] | None = None, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    inp, out = inp or sys.stdin, out or sys.stdout
    if args.command == "ask":
        return _ask(args, out)
    return _chat(args, inp, out)


if __name__ == "__main__":
    sys.exit(main())
