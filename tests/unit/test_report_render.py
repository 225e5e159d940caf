"""The caregiver report's page and CSV, from plain values."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

from recovery_coach.checkins import Checkin, Thresholds
from recovery_coach.content import Clinic, load_content
from recovery_coach.report.render import render_csv, render_html

TODAY = date(2026, 11, 24)
LIMITS = Thresholds()
# Nov 10..24 with Nov 13, 19 and 22 missed. Worrying: Nov 12 (8, high, and a rise of 4),
# Nov 17 (5 after 2: a rise of 3), Nov 18 (7: high). Nov 21 rose by 1 only.
SCORES = {10: 5, 11: 4, 12: 8, 14: 6, 15: 4, 16: 2, 17: 5, 18: 7, 20: 4, 21: 5, 23: 3, 24: 2}
CHECKINS = [Checkin(date(2026, 11, d), s, took_meds=(d % 3 == 0) if d % 2 else None) for d, s in SCORES.items()]
WORRYING = {"2026-11-12", "2026-11-17", "2026-11-18"}
MISSED = {"2026-11-13", "2026-11-19", "2026-11-22"}


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, as the browser's parser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


def page(label: str = "Mom", checkins: list[Checkin] = CHECKINS, days: int = 15, **kw: object) -> str:
    return render_html(label, checkins, TODAY, days, kw.pop("procedure", None), LIMITS, "tok.csv", **kw)  # type: ignore[arg-type]


def test_the_chart_has_one_point_per_check_in_with_its_score() -> None:
    doc = Elements(page())
    points = {c["data-day"]: int(c["data-score"]) for c in doc.all("circle", "point")}
    assert points == {f"2026-11-{d}": s for d, s in SCORES.items()}
    # Higher scores are drawn higher (smaller y), on one 0-10 scale.
    ys = {c["data-day"]: float(c["cy"]) for c in doc.all("circle", "point")}
    assert ys["2026-11-12"] < ys["2026-11-14"] < ys["2026-11-24"]
    xs = [float(c["cx"]) for c in doc.all("circle", "point")]
    assert xs == sorted(xs)


def test_worrying_days_are_drawn_distinctly_and_listed_with_why() -> None:
    html = page()
    doc = Elements(html)
    assert {c["data-day"] for c in doc.all("circle", "worrying")} == WORRYING
    assert {r for r in re.findall(r'<tr class="worrying"><th scope="row"><time datetime="([\d-]+)"', html)} == WORRYING
    assert "3 worrying days" in html and "Interventional Pain Center" in html and "405-759-8407" in html
    assert "7 or more" in html and "rose 2+ points" in html


def test_missed_days_are_marked_on_the_axis() -> None:
    doc = Elements(page())
    assert {m["data-day"] for m in doc.all("path", "missed")} == MISSED
    assert "Missed days" in "".join(doc.text)


def test_days_outside_the_window_are_not_drawn_but_still_count_for_a_rise() -> None:
    doc = Elements(page(days=3, checkins=[Checkin(TODAY - timedelta(days=9), 2), Checkin(TODAY, 5)]))
    assert [(c["data-day"], c.get("class")) for c in doc.all("circle", "point")] == [("2026-11-24", "point worrying")]


def test_summary_table_and_csv_link() -> None:
    html = page()
    text = " ".join(Elements(html).text)
    assert "Latest" in text and "Average" in text and "Trend" in text and "Missed days" in text
    assert "4.6" in text  # mean of the 12 scores, 55 / 12
    rows = re.findall(r"<tr(?: class=\"worrying\")?><th scope=\"row\">", html)
    assert len(rows) == len(SCORES)
    assert '<a class="download" href="tok.csv" download>' in html
    assert "not a substitute for your doctor" in html


def test_pain_medicine_column_says_yes_no_or_unanswered() -> None:
    html = page(checkins=[Checkin(TODAY, 3, True), Checkin(TODAY - timedelta(1), 3, False), Checkin(TODAY - timedelta(2), 3)])
    cells = re.findall(r'<td class="num">3</td><td>([^<]*)</td>', html)
    assert cells == ["yes", "no", "—"]


def test_the_label_is_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    html = page(label=evil)
    assert "<script" not in html and "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert Elements(html).all("script") == [] and Elements(html).all("img") == []


def test_the_page_loads_nothing_from_anywhere() -> None:
    html = page(procedure=date(2026, 11, 9))
    assert not re.search(r"https?://", html), "no absolute URL at all, to any site"
    doc = Elements(html)
    assert doc.all("script") == [] and doc.all("link") == [] and doc.all("img") == [] and doc.all("iframe") == []
    assert "@import" not in html and "url(" not in html
    for _, attrs in doc.tags:
        assert "src" not in attrs
        assert attrs.get("href", "tel:").startswith(("tel:", "tok.csv"))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_title_procedure_line_and_clinic_come_from_data() -> None:
    clinic = Clinic("Lakeside Spine", "Dr. Rao", "Dr. Rao", "555-0100")
    html = page(procedure=date(2026, 11, 10), clinic=clinic)
    assert "<title>Pain check-ins for Mom</title>" in html
    assert "day 14 after the procedure" in html and 'class="procedure"' in html
    assert "Lakeside Spine" in html and 'href="tel:5550100"' in html
    assert load_content("en-US").clinic.clinic_name not in html


def test_an_empty_period_still_renders() -> None:
    html = page(checkins=[])
    assert "No check-ins in this period." in html and Elements(html).all("circle", "point") == []


def test_csv_rows_oldest_first_with_replaced_scores() -> None:
    rows = [
        Checkin(date(2026, 11, 24), 3, True, ({"score": 6, "at": "2026-11-24T14:00:00+00:00"},)),
        Checkin(date(2026, 11, 22), 5, None),
        Checkin(date(2026, 11, 23), 4, False, ({"score": 7, "at": "x"}, {"score": 8, "at": "y"})),
    ]
    text = render_csv(rows)
    assert text.splitlines()[0] == "date,score,took_pain_medicine,replaced_scores"
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["2026-11-22", "5", "", ""],
        ["2026-11-23", "4", "no", "7;8"],
        ["2026-11-24", "3", "yes", "6"],
    ]
