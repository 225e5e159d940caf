"""Trying it on a laptop: reminders through the CLI's own Alexa, cards, a real terminal, the report."""
from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from tests.functional.test_questions import cli

EXE = Path(sys.executable).parent / "recovery-coach"
REMIND = "remind me to check in every day at 9 am\nyes\n"


def reminders_file(db: Path) -> list[dict]:
    path = db.with_name("recovery.alexa.json")
    return json.loads(path.read_text())["reminders"] if path.exists() else []


def test_a_reminder_set_in_chat_is_kept_and_found_by_the_next_process(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    out = cli("chat", db=db, process=True, stdin=REMIND + "y\n")
    assert "Allow Spine Recovery to set reminders? [y/n] y" in out
    assert "I'll remind you every day at 9 AM" in out
    (kept,) = reminders_file(db)
    assert "BYHOUR=9;BYMINUTE=0" in kept["trigger"]["recurrence"]["recurrenceRules"][0]
    assert kept["trigger"]["timeZoneId"] == "America/Chicago"
    assert "9 AM" in cli("ask", "do I have a reminder", db=db, process=True)
    # Alexa remembers the grant: the next change asks no permission, and moves the same reminder.
    moved = cli("chat", db=db, process=True, stdin="change my reminder to 8 pm\n")
    assert "Allow" not in moved and "8 PM" in moved
    (again,) = reminders_file(db)
    assert again["alertToken"] == kept["alertToken"] and "BYHOUR=20" in again["trigger"]["recurrence"]["recurrenceRules"][0]
    assert "8 PM" in cli("ask", "do I have a reminder", db=db, process=True)
    cli("chat", db=db, process=True, stdin="cancel my reminder\n")
    assert reminders_file(db) == []
    assert "don't have a check-in reminder" in cli("ask", "do I have a reminder", db=db, process=True)


def test_saying_no_to_the_permission_sets_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    out = cli("chat", db=db, stdin=REMIND + "n\n")
    assert "can't set a reminder" in out and "Alexa app" in out
    assert reminders_file(db) == []
    assert "don't have a check-in reminder" in cli("ask", "do I have a reminder", db=db)


def test_input_ending_at_the_permission_question_sets_nothing_and_exits_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    out = cli("chat", db=db, process=True, stdin=REMIND)
    assert out.rstrip().splitlines()[-1].startswith("Alexa:") and reminders_file(db) == []


def test_chat_shows_the_cards_links_included(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli("chat", "--user", "p", db=db, stdin="log my pain as four\nyes\nshare my check-ins with my caregiver\ncall me Mom\n")
    out = cli("chat", "--user", "p", db=db, stdin="send the report link to my caregiver\n")
    link = re.search(r"\[Card: Pain report link\] (http://127\.0\.0\.1:8080/report/[A-Za-z0-9_-]{20,}) It works", out)
    assert link, out


def test_a_wrong_or_miscased_locale_is_one_line_naming_the_five(tmp_path: Path) -> None:
    for wrong in ("fr-FR", "en-gb"):
        done = subprocess.run([str(EXE), "chat", "--locale", wrong], input="", capture_output=True, text=True,
                              env={**os.environ, "RECOVERY_COACH_DB": str(tmp_path / "db.sqlite3")}, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        (line,) = done.stderr.splitlines()
        assert wrong in line and all(code in line for code in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"))
    assert "999" in cli("ask", "--locale", "en-GB", "my legs are numb", db=tmp_path / "db.sqlite3")


class Tty:
    """recovery-coach chat on a real pseudo-terminal, as a person at a keyboard runs it."""

    def __init__(self, db: Path) -> None:
        # Everything the child needs is built before the fork: between fork and exec the child of a
        # threaded process (pytest-xdist's worker) must do no more than the exec itself.
        exe, argv, env = str(EXE), [str(EXE), "chat"], {**os.environ, "RECOVERY_COACH_DB": str(db), "TERM": "xterm"}
        with warnings.catch_warnings():  # the fork warning is about what the child does: only an exec
            warnings.simplefilter("ignore", DeprecationWarning)
            self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the chat, with the pty as its controlling terminal
            os.execve(exe, argv, env)
        self.seen = b""
        self.read_up_to = 0  # what wait_for has matched so far: each wait looks only at newer output

    def wait_for(self, text: bytes, seconds: float = 30) -> bytes:
        """Waits until `text` is printed after what the last wait matched (as `expect` does)."""
        deadline = time.monotonic() + seconds
        while text not in self.seen[self.read_up_to:] and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:  # the child exited
                    break
        assert text in self.seen[self.read_up_to:], self.seen[-500:]
        self.read_up_to = self.seen.index(text, self.read_up_to) + len(text)
        return self.seen

    def wait_until_reading(self, seconds: float = 30) -> None:
        """Waits until the chat sleeps in select() on its terminal, as it does at its prompt. Only
        then does a Ctrl-C always land: CPython's readline looks for signals only when select() is
        interrupted, so one that arrives while the prompt is being drawn is held until the next line
        (a person just presses Ctrl-C again; a test must not depend on that timing)."""
        deadline = time.monotonic() + seconds
        wchan = Path(f"/proc/{self.pid}/wchan")
        while time.monotonic() < deadline:
            try:
                waiting_in = wchan.read_text()
            except OSError:  # no /proc here: nothing to wait for
                return
            if "poll" in waiting_in or "select" in waiting_in:
                return
            time.sleep(0.01)
        raise AssertionError(f"the chat never waited for input: {self.seen[-300:]!r}")

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def exit_code(self, seconds: float = 30) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.seen += os.read(self.fd, 4096) if select.select([self.fd], [], [], 0.1)[0] else b""
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        raise AssertionError("chat did not exit")


def test_the_terminal_edits_lines_and_ctrl_c_leaves_cleanly(tmp_path: Path) -> None:
    tty = Tty(tmp_path / "db.sqlite3")
    tty.wait_for(b"You: ")
    tty.wait_until_reading()
    tty.type(b"when can I drve again" + b"\x1b[D" * 8 + b"i\r")  # arrow left 8 times, then the missing i
    tty.wait_for(b"few days to a few weeks")
    tty.wait_for(b"You: ")  # the next prompt, not the first one again
    tty.wait_until_reading()
    tty.type(b"\x03")  # Ctrl-C
    assert tty.exit_code() == 130
    assert b"Traceback" not in tty.seen and b"KeyboardInterrupt" not in tty.seen


def test_ctrl_d_ends_the_chat_on_a_new_line(tmp_path: Path) -> None:
    tty = Tty(tmp_path / "db.sqlite3")
    tty.wait_for(b"You: ")
    tty.wait_until_reading()
    tty.type(b"\x04")  # Ctrl-D
    assert tty.exit_code() == 0
    assert tty.seen.endswith(b"You: \r\n") and b"Traceback" not in tty.seen


def test_report_is_a_web_page_by_default_and_csv_on_request(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli("chat", "--user", "p", db=db, stdin="log my pain as four\nyes\nshare my check-ins with my caregiver\ncall me Grandma\n")
    said = cli("report", "--user", "p", db=db)
    assert said == f"wrote {tmp_path / 'report-p.html'}\n"  # the page goes beside the database
    assert (tmp_path / "report-p.html").read_text() == cli("report", "--user", "p", "-o", "-", db=db)
    page = cli("report", "--user", "p", "-o", "-", db=db)
    assert page.startswith("<!DOCTYPE html>") and "<title>Pain check-ins for " in page
    assert 'href="data:text/csv;charset=utf-8,date%2Cscore' in page  # the download works from a saved file
    out = tmp_path / "mine.html"
    assert f"wrote {out}" in cli("report", "--user", "p", "-o", str(out), db=db)
    assert out.read_text().startswith("<!DOCTYPE html>")
    rows = cli("report", "--csv", "--user", "p", db=db).splitlines()
    assert rows[0].startswith("date,score") and rows[1].split(",")[1] == "4"


def test_serve_local_opens_the_report_link_chat_showed_and_takes_no_alexa_traffic(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli("chat", "--user", "p", db=db, stdin="log my pain as four\nyes\nshare my check-ins with my caregiver\ncall me Mom\n")
    out = cli("chat", "--user", "p", db=db, stdin="send the report link to my caregiver\n")
    token = re.search(r"/report/([A-Za-z0-9_-]{20,})", out).group(1)
    env = {k: v for k, v in os.environ.items() if k not in ("SKILL_ID", "ALEXA_VERIFY", "SHARE_SECRET")}
    server = subprocess.Popen([str(EXE), "serve", "--local", "--port", "0"], stdout=subprocess.PIPE, text=True,
                              env={**env, "RECOVERY_COACH_DB": str(db)})
    try:
        assert server.stdout is not None
        url = None
        for _ in range(5):
            line = server.stdout.readline()
            m = re.match(r"listening on (http://127\.0\.0\.1:\d+)$", line.strip())
            if m:
                url = m.group(1)
                break
        assert url, "no 'listening on' line"
        with urllib.request.urlopen(f"{url}/report/{token}", timeout=10) as page:
            body = page.read().decode()
        assert page.status == 200 and "Pain check-ins for " in body and ">4<" in body
        with urllib.request.urlopen(f"{url}/report/{token}.csv", timeout=10) as csv:
            assert csv.read().decode().splitlines()[1].split(",")[1] == "4"
        alexa = urllib.request.Request(url + "/", data=b'{"version": "1.0"}', method="POST",
                                       headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(alexa, timeout=10)
            raise AssertionError("serve --local answered Alexa traffic")
        except urllib.error.HTTPError as e:
            assert e.code in (404, 405)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_echo_show_gets_the_screen_and_an_echo_does_not(tmp_path: Path) -> None:
    """`--device show` declares APL, as an Echo Show does: the answer carries its RenderDocument."""
    db = tmp_path / "db.sqlite3"

    def directives(*device: str) -> list[str]:
        envelope = json.loads(cli("ask", *device, "--json", "when can I drive again", db=db))
        assert "few days to a few weeks" in envelope["response"]["outputSpeech"]["ssml"]
        return [d["type"] for d in envelope["response"].get("directives") or []]

    assert directives("--device", "show") == ["Alexa.Presentation.APL.RenderDocument"]
    assert directives() == directives("--device", "echo") == []
