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
        from recovery_coach.skill import default_services

        heard = self.resolver.resolve(text, today=default_services().local_today())
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


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    """What the resolver heard (stage, intent, score, runner-up) and what the topic model chose."""
    from recovery_coach.content import load_content
    from recovery_coach.skill import default_services

    resolver = load_resolver(args.locale)
    heard = resolver.explain(args.utterance, today=default_services().local_today())
    lines = [f"heard:    {heard['heard']}", f"intent:   {heard['intent']}  ({heard['stage']}"
             + (f", score {heard['score']}, runner-up {heard['runner_up']} {heard['runner_up_score']})" if "score" in heard else ")")]
    for name, value in heard["slots"].items():
        lines.append(f"slot:     {name} = {value}")
    knowledge = load_content(args.locale).knowledge
    question = heard["slots"].get("question") or heard["slots"].get("symptom")
    if question:
        from recovery_coach.handlers.forms import with_form

        asked = with_form(heard["intent"] or "", question)
        match, guess = knowledge.match(asked), knowledge.explain(asked)
        topic = match.topic.id if match.topic else match.reason
        detail = f"  (score {guess.confidence:.3f}, runner-up {guess.runner_up} {guess.runner_up_confidence:.3f})" if guess else ""
        lines.append(f"topic:    {topic}{detail}")
        hit = load_content(args.locale).screen.check(asked)
        lines.append(f"red flag: {f'{hit.flag} (by the {hit.by}: {hit.phrase})' if hit else 'none'}")
    out.write("\n".join(lines) + "\n")
    return 0


def _report(args: argparse.Namespace, out: TextIO) -> int:
    """The same store the skill uses, read directly: this is the local user's own data."""
    from datetime import timedelta

    from recovery_coach.handlers.base import user_key
    from recovery_coach.report.render import render_csv
    from recovery_coach.skill import default_services

    services = default_services()
    since = services.clock().date() - timedelta(days=args.days)
    record = services.store.load(user_key(envelope.Device.for_user(args.user).user_id), since=since)
    out.write(render_csv(record.checkins))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from recovery_coach.config import Settings
    from recovery_coach.webhook.serve import serve

    settings = Settings.from_env()
    if args.route:
        settings = replace(settings, alexa_route=args.route)
    if args.no_verify:
        settings = replace(settings, verify_requests=False)
    serve(settings, args.host, args.port, args.workers, args.connections)
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
    explain = sub.add_parser("explain", parents=[common], help="show how an utterance is understood")
    explain.add_argument("utterance")
    report = sub.add_parser("report", parents=[common], help="export this user's check-ins")
    report.add_argument("--csv", action="store_true", required=True, help="write CSV to standard output")
    report.add_argument("--days", type=int, default=365, help="how far back (default 365)")
    serve = sub.add_parser("serve", help="run the skill as an HTTP service (put a TLS proxy in front)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    serve.add_argument("--connections", type=int, default=1000, help="open connections per process (default 1000)")
    serve.add_argument("--route", help="the path Alexa posts to (default /, or ALEXA_ROUTE)")
    serve.add_argument("--no-verify", action="store_true", help="DEVELOPMENT ONLY: skip Alexa request verification")
    return p


def main(argv: list[str] | None = None, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    inp, out = inp or sys.stdin, out or sys.stdout
    if args.command == "ask":
        return _ask(args, out)
    if args.command == "serve":
        return _serve(args)
    if args.command == "report":
        return _report(args, out)
    if args.command == "explain":
        return _explain(args, out)
    return _chat(args, inp, out)


if __name__ == "__main__":
    sys.exit(main())
