"""Two Alexa accounts on one laptop, and the local CSV export."""
from __future__ import annotations

import re
from pathlib import Path

from tests.functional.test_questions import cli


def test_the_whole_caregiver_flow_with_two_names(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    mom = cli("chat", "--user", "mom", db=db, stdin="log my pain as six\nno\nshare my check-ins with my caregiver\ncall me Mom\n")
    code = re.search(r"code is ([\d, ]+)\.", mom).group(1).replace(", ", "")
    linked = cli("ask", "--user", "daughter", f"link to my patient with code {code}", db=db)
    assert "linked to Mom's check-ins" in linked
    assert "latest score is 6" in cli("ask", "--user", "daughter", "how is my patient doing", db=db)
    assert "not linked" in cli("ask", "--user", "son", "how is my patient doing", db=db)


def test_report_csv_writes_the_local_users_check_ins(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli("chat", "--user", "mom", db=db, stdin="log my pain as six\nyes\n")
    rows = cli("report", "--csv", "--user", "mom", db=db).splitlines()
    assert rows[0] == "date,score,took_pain_medicine,replaced_scores"
    assert len(rows) == 2 and rows[1].split(",")[1:3] == ["6", "yes"]
    assert cli("report", "--csv", "--user", "someone", db=db).splitlines() == rows[:1]


def test_a_caregivers_alerts_arrive_on_this_laptop_as_notifications(tmp_path: Path) -> None:
    """The local Alexa plays Amazon's Proactive Events API: the daughter turns alerts on by voice,
    Mom logs a 9, and the daughter's next chat opens with the notification Alexa would give her
    (the label only), then the detail."""
    db = tmp_path / "db.sqlite3"
    mom = cli("chat", "--user", "mom", db=db, stdin="share my check-ins with my caregiver\ncall me Mom\n")
    code = re.search(r"code is ([\d, ]+)\.", mom).group(1).replace(", ", "")
    cli("ask", "--user", "daughter", f"link to my patient with code {code}", db=db)
    agreed = cli("chat", "--user", "daughter", db=db, stdin="send me alerts\nyes\n")
    assert "Shall I turn alerts on?" in agreed and "Alerts are on for Mom" in agreed
    assert "Notification" not in cli("chat", "--user", "son", db=db, stdin="")  # nobody else's
    cli("chat", "--user", "mom", db=db, stdin="log my pain as nine\nno\n")
    later = cli("chat", "--user", "daughter", db=db, stdin="")
    first, rest = later.split("\n", 1)
    assert first == "(Notification) Alexa: One new message from Mom."
    assert "Mom's latest check-in is 9" in rest and "9" not in first
    assert "Notification" not in cli("chat", "--user", "daughter", db=db, stdin="")  # read once
