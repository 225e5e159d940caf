"""The caregiver report as text: one self-contained HTML page (inline CSS and SVG) and a CSV.

Pure functions over plain values. The page loads nothing: no script, font, image or style sheet
from anywhere, so the report's Content-Security-Policy can be `default-src 'none'`. Every piece of
text that reaches the page goes through `_e` (the label is whatever the patient chose).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from recovery_coach.checkins import Checkin, Summary, Thresholds, assess, days_since, summarize
from recovery_coach.content import Clinic, load_content

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TRENDS = {"easing": "easing", "rising": "rising", "steady": "steady", "unknown": "too few to tell"}

# Chart geometry, in SVG user units (the SVG scales to the page width).
W, H = 400, 236
LEFT, RIGHT, TOP, BOTTOM = 30, 20, 12, 196  # plot area; below it: missed-day marks, then dates
PAD = 7  # keeps the first and last day's points off the plot's edges

CSS = """
:root{color-scheme:light;--ink:#1f2937;--muted:#5b6472;--edge:#e2e8f0;--line:#1d4ed8;--warn:#c81e1e}
*{box-sizing:border-box}
body{margin:0;background:#f4f6f9;color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif}
main{max-width:46rem;margin:0 auto;padding:1rem .9rem 2rem}
h1{font-size:1.45rem;line-height:1.25;margin:.2rem 0 .15rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.period{color:var(--muted);margin:0 0 1rem}
.summary{display:grid;grid-template-columns:1fr 1fr;gap:.5rem;margin:0 0 1rem}
.summary div{background:#fff;border:1px solid var(--edge);border-radius:.6rem;padding:.45rem .75rem}
.summary dt{font-size:.8rem;color:var(--muted)}
.summary dd{margin:0;font-size:1.2rem;font-weight:650}
.summary small{font-weight:400;color:var(--muted);font-size:.85rem}
@media (min-width:40rem){.summary{grid-template-columns:repeat(4,1fr)}}
.alert{background:#fdf2f2;border:1px solid #f5c2c2;border-left:5px solid var(--warn);border-radius:.4rem;
padding:.6rem .8rem;margin:0 0 1rem}
.alert strong{color:var(--warn)}
figure{margin:0 0 1rem;background:#fff;border:1px solid var(--edge);border-radius:.6rem;padding:.6rem .4rem .5rem}
figcaption{font-size:.85rem;color:var(--muted);padding:0 .4rem .3rem}
svg.chart{display:block;width:100%;height:auto;font-family:inherit}
.chart .grid{stroke:#e5e9f0;stroke-width:1}
.chart .axis{fill:#5b6472;font-size:12px}
.chart .band{fill:#fdecec}
.chart .line{fill:none;stroke:var(--line);stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}
.chart .gap{stroke:var(--line);stroke-width:1.6;stroke-dasharray:3 4;opacity:.6}
.chart .point{fill:var(--line);stroke:#fff;stroke-width:1.5}
.chart .point.worrying{fill:var(--warn)}
.chart .missed{stroke:#8a93a3;stroke-width:1.8;stroke-linecap:round}
.chart .procedure{stroke:#7c3aed;stroke-width:1.2;stroke-dasharray:2 3}
.chart .procedure-label{fill:#7c3aed;font-size:10px}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:.4rem .4rem 0;padding:0;
font-size:.85rem;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:.35rem}
.legend svg{width:14px;height:14px;flex:none}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--edge);font-size:.95rem}
caption{text-align:left;color:var(--muted);font-size:.85rem;padding:0 0 .3rem}
th,td{padding:.45rem .6rem;border-bottom:1px solid var(--edge);text-align:left;vertical-align:top}
thead th{font-size:.8rem;color:var(--muted);font-weight:600}
tbody th{font-weight:400;white-space:nowrap}
td.num{font-variant-numeric:tabular-nums;font-weight:650}
tr.worrying>*{background:#fdf6f6}
tr.worrying .flag{color:var(--warn);font-weight:650}
.download{display:inline-block;margin:.75rem 0 0;padding:.5rem .9rem;border-radius:.5rem;background:var(--line);
color:#fff;text-decoration:none;font-weight:600}
footer{margin-top:1.5rem;font-size:.9rem;color:var(--muted)}
footer p{margin:.4rem 0}
a{color:var(--line)}
"""


def _e(value: object) -> str:
    """HTML-escape text and attribute values alike (quotes included)."""
    return escape(str(value), quote=True)


def short_day(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


def long_day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"


def _phone_href(phone: str) -> str:
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _reasons(reasons: Sequence[str], limits: Thresholds) -> str:
    words = {
        "high": f"{limits.high_score} or more",
        "rise": f"rose {limits.rise}+ points",
        "not_easing": "not easing after the procedure",
    }
    return "; ".join(words.get(r, r) for r in reasons)


def _why(checkins: Sequence[Checkin], procedure: date | None, limits: Thresholds) -> dict[date, str]:
    """Each worrying day, with why it is worrying (the same rules the skill warns with)."""
    out: dict[date, str] = {}
    for c in checkins:
        warning = assess(c.score, c.day, checkins, procedure, limits)
        if warning:
            out[c.day] = _reasons(warning.reasons, limits)
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary_html(s: Summary, trend: str) -> str:
    latest = (f"{s.latest.score} <small>on {_e(short_day(s.latest.day))}</small>" if s.latest else "—")
    average = f"{s.average:g}" if s.average is not None else "—"
    rows = [
        ("Latest", latest),
        ("Average", average),
        ("Trend, 7 days", _e(TRENDS.get(trend, trend))),
        ("Missed days", str(len(s.missed))),
    ]
    items = "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in rows)
    return f'<dl class="summary">{items}</dl>'


def _chart(window: Sequence[Checkin], start: date, days: int, missed: Sequence[date], why: dict[date, str],
           procedure: date | None, limits: Thresholds) -> str:
    span = W - LEFT - RIGHT - 2 * PAD

    def x(day: date) -> float:
        i = (day - start).days
        return round(LEFT + PAD + (span * i / (days - 1) if days > 1 else span / 2), 1)

    def y(score: float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * score / 10, 1)

    end = start + timedelta(days=days - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">Pain scores from {_e(short_day(start))} to {_e(short_day(end))}</title>',
        f'<desc id="chart-desc">{_plural(len(window), "check-in")}, {_plural(len(why), "worrying day")}, '
        f'{_plural(len(missed), "missed day")}. The table below lists every check-in.</desc>',
        # The worrying zone: scores at or above the high-score threshold.
        f'<rect class="band" x="{LEFT}" y="{y(10)}" width="{W - LEFT - RIGHT}" '
        f'height="{round(y(limits.high_score) - y(10), 1)}"/>',
    ]
    for score in range(0, 11, 2):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(score)}" y2="{y(score)}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y(score) + 4}" text-anchor="end">{score}</text>')
    # Date labels every 7 days, counted back from the last day so that it is always labelled.
    for back in range(0, days, 7):
        day = end - timedelta(days=back)
        parts.append(f'<text class="axis" x="{x(day)}" y="{H - 10}" text-anchor="middle">{_e(short_day(day))}</text>')
    if procedure is not None and start <= procedure <= end:
        px = x(procedure)
        parts.append(f'<line class="procedure" x1="{px}" x2="{px}" y1="{TOP}" y2="{BOTTOM}"/>')
        parts.append(f'<text class="procedure-label" x="{px + 3}" y="{TOP + 9}">procedure</text>')
    # The line: solid between consecutive days, dashed across days with no check-in.
    runs: list[list[Checkin]] = []
    for c in window:
        if runs and (c.day - runs[-1][-1].day).days == 1:
            runs[-1].append(c)
        else:
            if runs:
                a = runs[-1][-1]
                parts.append(f'<line class="gap" x1="{x(a.day)}" y1="{y(a.score)}" x2="{x(c.day)}" y2="{y(c.score)}"/>')
            runs.append([c])
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x(c.day)},{y(c.score)}" for c in run)
            parts.append(f'<polyline class="line" points="{points}"/>')
    for day in missed:
        mx, my = x(day), BOTTOM + 11
        parts.append(
            f'<path class="missed" data-day="{day.isoformat()}" d="M{mx - 3.5} {my - 3.5}l7 7m0 -7l-7 7">'
            f"<title>{_e(long_day(day))}: no check-in</title></path>"
        )
    for c in window:
        worrying = c.day in why
        tip = f"{long_day(c.day)}: pain {c.score} of 10" + (f" — worrying: {why[c.day]}" if worrying else "")
        parts.append(
            f'<circle class="point{" worrying" if worrying else ""}" data-day="{c.day.isoformat()}" '
            f'data-score="{c.score}" cx="{x(c.day)}" cy="{y(c.score)}" r="{5.5 if worrying else 4}">'
            f"<title>{_e(tip)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(limits: Thresholds) -> str:
    def swatch(shape: str) -> str:
        return f'<svg viewBox="0 0 14 14" aria-hidden="true">{shape}</svg>'

    items = [
        (swatch('<circle cx="7" cy="7" r="5" fill="#1d4ed8"/>'), "Pain score, 0 to 10"),
        (swatch('<circle cx="7" cy="7" r="5.5" fill="#c81e1e"/>'), "Worrying day"),
        (swatch('<rect x="1" y="1" width="12" height="12" fill="#fdecec" stroke="#f5c2c2"/>'),
         f"{limits.high_score} or more"),
        (swatch('<path d="M3 3l8 8m0-8l-8 8" stroke="#8a93a3" stroke-width="2" stroke-linecap="round"/>'),
         "No check-in that day"),
    ]
    return '<ul class="legend">' + "".join(f"<li>{s}{_e(t)}</li>" for s, t in items) + "</ul>"


def _table(window: Sequence[Checkin], why: dict[date, str]) -> str:
    meds = {True: "yes", False: "no", None: "—"}
    rows = []
    for c in sorted(window, key=lambda c: c.day, reverse=True):
        worrying = c.day in why
        flag = f'<span class="flag">yes</span> — {_e(why[c.day])}' if worrying else "no"
        row_class = ' class="worrying"' if worrying else ""
        rows.append(
            f"<tr{row_class}>"
            f'<th scope="row"><time datetime="{c.day.isoformat()}">{_e(long_day(c.day))}</time></th>'
            f'<td class="num">{c.score}</td><td>{meds[c.took_meds]}</td><td>{flag}</td></tr>'
        )
    body = "".join(rows) or '<tr><td colspan="4">No check-ins in this period.</td></tr>'
    return (
        '<div class="table-wrap"><table><caption>Every check-in in this period, newest first. '
        "Pain medicine: whether it was taken that day (— not answered).</caption>"
        '<thead><tr><th scope="col">Date</th><th scope="col">Pain</th><th scope="col">Pain medicine</th>'
        f'<th scope="col">Worrying</th></tr></thead><tbody>{body}</tbody></table></div>'
    )


def render_html(label: str, checkins: Sequence[Checkin], today: date, days: int, procedure: date | None,
                thresholds: Thresholds, csv_href: str, *, clinic: Clinic | None = None) -> str:
    """The report page for the last `days` days up to `today`.

    `checkins` may reach back further than the window: earlier scores decide whether a day in it
    rose too much, but only the window is drawn and listed.
    """
    days = max(1, days)
    clinic = clinic or load_content("en-US").clinic
    checkins = sorted(checkins, key=lambda c: c.day)
    s = summarize(checkins, today, days, procedure, thresholds)
    # The skill's trend is a week's slope; a month's would call a clear fall "steady".
    trend = summarize(checkins, today, min(days, 7), procedure, thresholds).trend
    window = [c for c in checkins if s.start <= c.day <= today]
    why = _why(checkins, procedure, thresholds)
    why = {d: text for d, text in why.items() if s.start <= d <= today}
    title = f"Pain check-ins for {label}"
    call = (f'<a href="{_e(_phone_href(clinic.phone))}">{_e(clinic.phone)}</a>')
    since = days_since(procedure, today)
    period = f"The last {days} days: {short_day(s.start)} to {short_day(today)}, {today.year}"
    if since is not None:
        period += f" · day {since} after the procedure ({short_day(procedure)})"  # type: ignore[arg-type]
    alert = ""
    if why:
        alert = (
            f'<p class="alert" role="note"><strong>{_plural(len(why), "worrying day")}</strong> in this period, '
            f"marked in red: pain of {thresholds.high_score} or more, a rise of {thresholds.rise} or more points, "
            f"or pain that isn't easing after the procedure. Call {_e(clinic.clinic_name)} at {call} "
            "to talk it over. In an emergency, call 911.</p>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1><p class=\"period\">{_e(period)}</p>"
        f"{_summary_html(s, trend)}{alert}"
        f'<figure>{_chart(window, s.start, days, s.missed, why, procedure, thresholds)}'
        f"<figcaption>{_legend(thresholds)}</figcaption></figure>"
        f"<h2>Check-ins</h2>{_table(window, why)}"
        f'<a class="download" href="{_e(csv_href)}" download>Download CSV</a>'
        "<footer>"
        f"<p>This report is not a substitute for your doctor. For questions about recovery, call "
        f"{_e(clinic.clinic_name)} at {call}. In an emergency, call 911.</p>"
        "<p>This is a private link: anyone who has it can see this page until it expires or the patient "
        "stops sharing. Please don't forward it.</p>"
        "</footer></main></body></html>"
    )


def render_csv(checkins: Sequence[Checkin]) -> str:
    """One row per check-in, oldest first. Replaced scores (same day, earlier) are joined with ';'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "score", "took_pain_medicine", "replaced_scores"])
    meds = {True: "yes", False: "no", None: ""}
    for c in sorted(checkins, key=lambda c: c.day):
        replaced = ";".join(str(h.get("score")) for h in c.history if isinstance(h, dict) and "score" in h)
        writer.writerow([c.day.isoformat(), c.score, meds[c.took_meds], replaced])
    return out.getvalue()
