"""The Echo Show screens: the APL documents as data, the directives, and the chart's points."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.supported_interfaces import SupportedInterfaces

from recovery_coach import apl
from recovery_coach.checkins import Checkin, Thresholds, summarize
from tests.unit.test_report_render import CHECKINS, MISSED, WORRYING

TODAY = date(2026, 11, 24)  # a Tuesday
DOCUMENTS = ["answer", "chart"]
CORE_COMPONENTS = {"Container", "Text", "Frame", "ScrollView", "VectorGraphic"}


def raw(name: str) -> str:
    return resources.files("recovery_coach.apl").joinpath(f"{name}.json").read_text(encoding="utf-8")


def walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from walk(child)


def components(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(document["mainTemplate"]) if isinstance(n, dict) and "type" in n]


# --- the documents ------------------------------------------------------------------------

@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_are_apl_json_in_the_shape_alexa_expects(name: str) -> None:
    document = json.loads(raw(name))
    assert document["type"] == "APL"
    assert re.fullmatch(r"20\d\d\.\d", document["version"])
    assert document["mainTemplate"]["parameters"] == ["payload"]
    assert document["mainTemplate"]["items"]
    assert apl.load_document(name) == document


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_load_nothing_from_elsewhere(name: str) -> None:
    document = json.loads(raw(name))
    assert not re.search(r"https?:", raw(name), re.IGNORECASE)
    assert not document.get("import")  # no alexa-layouts or other packages
    assert {c["type"] for c in components(document)} <= CORE_COMPONENTS  # no Image, Video, layouts


@pytest.mark.parametrize(("name", "payload"), [("answer", {"title", "text"}), ("chart", {"title", "points"})])
def test_documents_read_only_what_the_directive_sends(name: str, payload: set[str]) -> None:
    used = set(re.findall(r"payload\.(\w+)", raw(name)))
    assert used == payload
    directive = apl.answer_directive("T", "x") if name == "answer" else apl.chart_directive("T", [])
    assert set(directive["datasources"]["payload"]) == payload


def test_the_answer_text_is_large_on_every_viewport() -> None:
    (body,) = [c for c in components(apl.load_document("answer")) if c.get("id") == "answerText"]
    sizes = [int(n) for n in re.findall(r"(\d+)dp", body["fontSize"])]
    assert sizes and min(sizes) >= 40


def test_directives_are_render_document_dicts() -> None:
    answer = apl.answer_directive("Driving", "You can drive again in a few days.", token="t1")
    assert answer == {
        "type": "Alexa.Presentation.APL.RenderDocument",
        "token": "t1",
        "document": apl.load_document("answer"),
        "datasources": {"payload": {"title": "Driving", "text": "You can drive again in a few days."}},
    }
    points = apl.chart_points(CHECKINS, TODAY)
    chart = apl.chart_directive("Spine Recovery", points)
    assert chart["type"] == "Alexa.Presentation.APL.RenderDocument" and chart["token"] == apl.CHART_TOKEN
    assert chart["datasources"] == {"payload": {"title": "Spine Recovery", "points": points}}


def test_the_directive_survives_the_sdk_serializer_unchanged() -> None:
    chart = apl.chart_directive("Spine Recovery", apl.chart_points(CHECKINS, TODAY))
    model = RenderDocumentDirective(token=chart["token"], document=chart["document"], datasources=chart["datasources"])
    out = json.loads(json.dumps(DefaultSerializer().serialize(model)))
    assert out == chart
    assert apl.load_document("chart") == json.loads(raw("chart"))  # the cached document wasn't touched


# --- which devices -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("interfaces", "expected"),
    [
        (None, False),
        ({}, False),
        ({"AudioPlayer": {}}, False),
        ({"Alexa.Presentation.APLT": {"runtime": {"maxVersion": "1.0"}}}, False),  # character displays
        ({"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}, True),
        ({"Alexa.Presentation.APL": {}}, True),
    ],
)
def test_supports_apl(interfaces: dict[str, Any] | None, expected: bool) -> None:
    assert apl.supports_apl(interfaces) is expected
    # The same answer from the SDK's model of the envelope, which is what a handler holds.
    model = DefaultSerializer().deserialize(json.dumps(interfaces), SupportedInterfaces) if interfaces is not None else None
    assert apl.supports_apl(model) is expected


# --- the chart's points --------------------------------------------------------------------

def by_day(points: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["day"]: p for p in points}


def test_fourteen_days_ending_today_one_entry_each() -> None:
    points = apl.chart_points(CHECKINS, TODAY)
    assert [p["day"] for p in points] == [(TODAY - timedelta(days=13 - n)).isoformat() for n in range(14)]
    assert points[-1]["label"] == "Tue" and points[0]["label"] == "Wed"
    assert all(set(p) == {"day", "label", "score", "missed", "worrying"} for p in points)
    assert json.loads(json.dumps(points)) == points  # plain JSON values only


def test_scores_missed_and_worrying_days_match_the_check_ins() -> None:
    points = apl.chart_points(CHECKINS, TODAY)
    stored = {c.day.isoformat(): c.score for c in CHECKINS}
    assert {d: p["score"] for d, p in by_day(points).items()} == {d: stored.get(d) for d in by_day(points)}
    # The same days the caregiver report marks (the same rules, from the same check-ins).
    assert {p["day"] for p in points if p["missed"]} == MISSED
    assert {p["day"] for p in points if p["worrying"]} == WORRYING
    assert not any(p["missed"] and p["score"] is not None for p in points)


def test_the_chart_marks_what_the_spoken_summary_says() -> None:
    points = by_day(apl.chart_points(CHECKINS, TODAY))
    week = summarize(CHECKINS, TODAY, 7, None, Thresholds())
    last_week = [p for d, p in points.items() if d >= week.start.isoformat()]
    assert {p["day"] for p in last_week if p["missed"]} == {d.isoformat() for d in week.missed}
    assert {p["day"] for p in last_week if p["worrying"]} == {c.day.isoformat() for c in week.worrying}


def test_days_before_the_first_check_in_and_today_are_not_missed() -> None:
    checkins = [Checkin(TODAY - timedelta(days=3), 4)]
    points = apl.chart_points(checkins, TODAY)
    assert [p["day"] for p in points if p["missed"]] == [
        (TODAY - timedelta(days=2)).isoformat(),
        (TODAY - timedelta(days=1)).isoformat(),
    ]
    assert points[-1] == {"day": TODAY.isoformat(), "label": "Tue", "score": None, "missed": False, "worrying": False}


def test_days_before_the_first_check_in_are_not_missed() -> None:
    procedure = TODAY - timedelta(days=5)
    first = TODAY - timedelta(days=3)
    points = apl.chart_points([Checkin(first, 4), Checkin(TODAY, 2)], TODAY, procedure=procedure)
    missed = [p["day"] for p in points if p["missed"]]
    assert missed == [(first + timedelta(days=n)).isoformat() for n in (1, 2)]  # not the days after the procedure


def test_worrying_uses_the_configured_thresholds_and_history_before_the_window() -> None:
    # The rise on the first charted day is measured from a check-in older than the chart.
    checkins = [Checkin(TODAY - timedelta(days=20), 2), Checkin(TODAY - timedelta(days=13), 5), Checkin(TODAY, 6)]
    points = apl.chart_points(checkins, TODAY)
    assert [p["day"] for p in points if p["worrying"]] == [(TODAY - timedelta(days=13)).isoformat()]
    strict = apl.chart_points(checkins, TODAY, thresholds=Thresholds(high_score=6))
    assert [p["worrying"] for p in strict if p["score"] is not None] == [True, True]


def test_labels_come_from_the_caller() -> None:
    names = ["Lun", "Mar", "Mié", "Jue", "Vie", "Sáb", "Dom"]
    points = apl.chart_points([], TODAY, days=7, labels=names)
    assert [p["label"] for p in points] == ["Mié", "Jue", "Vie", "Sáb", "Dom", "Lun", "Mar"]
    assert not any(p["missed"] or p["worrying"] or p["score"] is not None for p in points)
