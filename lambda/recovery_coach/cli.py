"""`recovery-coach`: talk to the skill from a terminal, through the same lambda_handler AWS runs.

    recovery-coach ask "when can I drive"      one utterance, prints what Alexa would say
    recovery-coach chat                        a conversation (one utterance per line when piped)
    recovery-coach report                      your check-ins as a web page (--csv for CSV)
    recovery-coach serve --local               open report links on this computer

Locally the CLI plays Alexa's part: it builds the request envelopes, shows cards, answers the skill's
permission requests at the terminal, and runs Alexa's Reminders API on 127.0.0.1 (local_alexa.py).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from lambda_function import lambda_handler
from recovery_coach import envelope
from recovery_coach.resolver import load_resolver, locales
from recovery_coach.skill import after_response
from recovery_coach.speech import to_plain

# What the terminal asks when the skill asks Alexa for a permission (Connections.SendRequest AskFor).
PERMISSION_PROMPTS = {
    "alexa::alerts:reminders:skill:readwrite": "Allow Spine Recovery to set reminders? [y/n] ",
}
PERMISSION_PROMPT = "Allow Spine Recovery this permission? [y/n] "
YES, NO = {"y", "yes"}, {"n", "no"}


def _say(response: dict[str, Any]) -> str:
    speech = response.get("response", {}).get("outputSpeech") or {}
    return to_plain(speech.get("ssml") or speech.get("text") or "")


def _card(response: dict[str, Any]) -> str | None:
    """The card Alexa would put in the Alexa app, as one line: [Card: title] text."""
    card = response.get("response", {}).get("card") or {}
    text = card.get("content") or card.get("text")
    if not card or not (text or card.get("title")):
        return None
    return f"[Card: {card.get('title') or ''}] {' '.join(str(text or '').split())}".rstrip()


def _scopes(request: dict[str, Any]) -> list[str]:
    """The permission scopes an AskFor request asks for."""
    return [s.get("permissionScope") for s in (request.get("payload") or {}).get("permissionScopes") or []
            if s.get("permissionScope")]


def _permission_request(response: dict[str, Any]) -> dict[str, Any] | None:
    for directive in response.get("response", {}).get("directives") or []:
        if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
            return dict(directive)
    return None


def _data_file(name: str) -> Path:
    """A file beside the local SQLite database: what the Alexa cloud would keep for this laptop."""
    from recovery_coach.config import Settings

    return Settings.from_env().sqlite_path.with_name(name)


class Conversation:
    """One user on one device, turn by turn, as Alexa would drive the skill."""

    def __init__(self, user: str, locale: str, alexa: Any | None = None, device: str = "echo") -> None:
        self.user = user
        self.device = envelope.Device.for_user(user, locale=locale, interfaces=dict(envelope.DEVICES[device]))
        self.alexa = alexa
        if alexa is not None:
            self.device.api_endpoint, self.device.api_access_token = alexa.endpoint, alexa.token
            self.device.permissions = alexa.permissions(self.device.user_id)
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
        return self._turn(event)

    def answer_permission(self, request: dict[str, Any], status: str) -> dict[str, Any]:
        """Alexa's side of AskFor: record the user's answer, then send the skill its Connections.Response."""
        scopes = _scopes(request)
        if status == "ACCEPTED" and self.alexa is not None:
            self.device.permissions = self.alexa.grant(self.device.user_id, scopes)
        body = {"type": "Connections.Response", "name": "AskFor", "status": {"code": "200", "message": "OK"},
                "payload": {"permissionScope": scopes[0] if scopes else "", "status": status},
                "token": request.get("token") or ""}
        self.session = envelope.Session()  # Alexa answers in a new session
        return self._turn(envelope.request(body, self.device, self.session))

    def _turn(self, event: dict[str, Any]) -> dict[str, Any]:
        response = lambda_handler(event, None)
        self.ended = not self.session.advance(response)
        if self.ended:
            self.session = envelope.Session()
        return response


@contextlib.contextmanager
def _local_alexa() -> Iterator[Any | None]:
    """Alexa's cloud APIs on 127.0.0.1 for this run; None if they can't start (say, the data folder
    can't be made), and then the skill runs without them, as it does on a device without permissions."""
    from recovery_coach.local_alexa import LocalAlexa
    from recovery_coach.skill import answer_first, default_services

    services = default_services()
    alexa = LocalAlexa(_data_file("recovery.alexa.json"), services.clock, timezone=services.settings.default_timezone)
    try:
        alexa.start()
    except OSError:
        answer_first()  # each answer is printed, then after_response() makes the turn's later writes
        yield None
        return
    try:
        _alerts_to(alexa)
        answer_first()
        yield alexa
    finally:
        alexa.stop()


def _alerts_to(alexa: Any) -> None:
    """Caregiver alerts, for this run, go to the local Alexa (as Amazon's would), with this run's
    credentials: a caregiver sees them as notifications when they next chat."""
    from dataclasses import replace

    from recovery_coach.local_alexa import CLIENT_ID, LWA_TOKEN
    from recovery_coach.skill import default_services, install

    services = default_services()
    settings = replace(services.settings, lwa_client_id=CLIENT_ID, lwa_client_secret=alexa.token,
                       lwa_token_url=alexa.endpoint + LWA_TOKEN, proactive_endpoint=alexa.endpoint)
    install(replace(services, settings=settings, _proactive=None, queued=False))


def _ask(args: argparse.Namespace, out: TextIO) -> int:
    with _local_alexa() as alexa:
        response = Conversation(args.user, args.locale, alexa, args.device).send(args.utterance)
        out.write((json.dumps(response, indent=2) if args.json else _say(response)) + "\n")
        out.flush()
        after_response()
    return 0


class Terminal:
    """The user's side: a line editor on a terminal (readline: editing, and this session's history only,
    never written to disk), or one line at a time from a pipe, echoed so the transcript reads whole."""

    def __init__(self, inp: TextIO, out: TextIO) -> None:
        self.inp, self.out = inp, out
        self.interactive = inp.isatty() and inp is sys.stdin
        if self.interactive:
            try:
                import readline

                readline.set_auto_history(True)
            except ImportError:  # a Python built without it: plain input() still works
                pass

    def read(self, prompt: str) -> str | None:
        """The next non-empty line, or None at the end of input (Ctrl-D)."""
        while True:
            if self.interactive:
                try:
                    line = input(prompt)
                except EOFError:
                    self.out.write("\n")
                    return None
            else:
                line = self.inp.readline()
                if not line:
                    return None
                if line.strip():
                    self.out.write(f"{prompt}{line.strip()}\n")
            if line.strip():
                return line.strip()

    def show(self, response: dict[str, Any]) -> None:
        self.out.write(f"Alexa: {_say(response)}\n")
        card = _card(response)
        if card:
            self.out.write(card + "\n")
        self.out.flush()


def _permission_answer(term: Terminal, request: dict[str, Any]) -> str:
    """ACCEPTED, DENIED, or NOT_ANSWERED (end of input, or three answers that are neither yes nor no)."""
    scopes = _scopes(request)
    prompt = PERMISSION_PROMPTS.get(scopes[0] if scopes else "", PERMISSION_PROMPT)
    for _ in range(3):
        line = term.read(prompt)
        if line is None:
            return "NOT_ANSWERED"
        if line.lower().strip(".!") in YES:
            return "ACCEPTED"
        if line.lower().strip(".!") in NO:
            return "DENIED"
    return "NOT_ANSWERED"


def _talk(talk: Conversation, term: Terminal) -> None:
    for note in talk.alexa.notifications(talk.device.user_id) if talk.alexa is not None else []:
        term.out.write(f"(Notification{' - urgent' if note['urgent'] else ''}) Alexa: One new message from {note['from']}.\n")
    term.show(response := talk.send("open " + talk.resolver.invocation))
    while True:
        request = _permission_request(response)
        if request is not None:
            term.show(response := talk.answer_permission(request, _permission_answer(term, request)))
            continue
        after_response()
        if talk.ended:
            return
        text = term.read("You: ")
        if text is None:
            return
        term.show(response := talk.send(text))


def _chat(args: argparse.Namespace, inp: TextIO, out: TextIO) -> int:
    term = Terminal(inp, out)
    try:
        with _local_alexa() as alexa:
            _talk(Conversation(args.user, args.locale, alexa, args.device), term)
    except KeyboardInterrupt:  # Ctrl-C: leave quietly, as a shell command does
        out.write("\n")
        return 130
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
    from recovery_coach.handlers.forms import screened_words, with_form
    from recovery_coach.intents import SYMPTOM_INTENTS

    content = load_content(args.locale)
    question = heard["slots"].get("question") or heard["slots"].get("symptom")
    if question:
        asked = with_form(heard["intent"] or "", question)
        match, guess = content.knowledge.match(asked), content.knowledge.explain(asked)
        topic = match.topic.id if match.topic else match.reason
        if match.topic and match.topic.of:
            topic += f" (a passage of {match.topic.of})"
        detail = f"  (score {guess.confidence:.3f}, runner-up {guess.runner_up} {guess.runner_up_confidence:.3f})" if guess else ""
        lines.append(f"topic:    {topic}{detail}")
    screened = screened_words(heard["intent"] or "", heard["slots"])  # what the screen hears: every slot
    if screened:
        hit, calm = content.screen.assess(screened)
        lines.append(f"red flag: {f'{hit.flag} (by the {hit.by}: {hit.phrase})' if hit else 'none'}")
        if hit is None and heard["intent"] in SYMPTOM_INTENTS:
            chance = content.screen.probability(screened)[0]
            kind = "a kind word" if calm else "the careful reply"
            lines.append(f"reply:    {kind}  (net {chance:.3f}, calm below {content.screen.calm_below:g})")
    out.write("\n".join(lines) + "\n")
    return 0


def _report(args: argparse.Namespace, out: TextIO) -> int:
    """The same store the skill uses, read directly: this is the local user's own data."""
    from recovery_coach.report.local import own_report

    text = own_report(envelope.Device.for_user(args.user).user_id, args.days, csv=args.csv)
    target = args.output or (None if args.csv else _report_file(args.user))
    if target is None or target == "-":
        out.write(text)
        return 0
    Path(target).write_text(text, encoding="utf-8")
    out.write(f"wrote {target}\n")
    return 0


def _report_file(user: str) -> Path:
    """Where `report` puts the page when no -o is given: beside the local database, one per user."""
    tag = "".join(c for c in user.lower() if c.isalnum()) or "patient"
    return _data_file(f"report-{tag}.html")


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    from dataclasses import replace

    from recovery_coach.config import Settings

    settings = Settings.from_env()
    if args.local:
        from recovery_coach.report.local import serve_local

        return serve_local(settings, args.port, out)
    from recovery_coach.webhook.serve import serve

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
    common.add_argument("--locale", default="en-US", help=f"Alexa locale: {', '.join(locales())}")
    common.add_argument("--device", choices=sorted(envelope.DEVICES), default="echo",
                        help="echo (voice only, the default) or show (a screen: ask --json shows its APL document)")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", parents=[common], help="say one thing and print the answer")
    ask.add_argument("utterance")
    ask.add_argument("--json", action="store_true", help="print the whole response envelope")
    sub.add_parser("chat", parents=[common], help="hold a conversation")
    explain = sub.add_parser("explain", parents=[common], help="show how an utterance is understood")
    explain.add_argument("utterance")
    report = sub.add_parser("report", parents=[common], help="this user's check-ins: a web page, or CSV")
    report.add_argument("--csv", action="store_true", help="CSV instead of the web page")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (- for standard output); the page goes beside the database, CSV to standard output")
    report.add_argument("--days", type=int, help="how far back (default: 30 for the page, 365 for CSV)")
    serve = sub.add_parser("serve", help="run the skill as an HTTP service (put a TLS proxy in front)")
    serve.add_argument("--local", action="store_true",
                       help="only open report links, on 127.0.0.1 (no Alexa traffic, no SKILL_ID needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    serve.add_argument("--connections", type=int, default=1000, help="open connections per process (default 1000)")
    serve.add_argument("--route", help="the path Alexa posts to (default /, or ALEXA_ROUTE)")
    serve.add_argument("--no-verify", action="store_true", help="DEVELOPMENT ONLY: skip Alexa request verification")
    return p


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "ask": _ask, "serve": _serve, "report": _report, "explain": _explain,
}


def main(argv: list[str] | None = None, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    inp, out = inp or sys.stdin, out or sys.stdout
    known = locales()
    if getattr(args, "locale", "en-US") not in known:
        sys.stderr.write(f"recovery-coach: unknown locale {args.locale!r}; use one of: {', '.join(known)}\n")
        return 2
    if args.command == "chat":
        return _chat(args, inp, out)
    return COMMANDS[args.command](args, out)


if __name__ == "__main__":
    sys.exit(main())
