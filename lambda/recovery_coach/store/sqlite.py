"""The embedded default store: one SQLite file under the user's data directory."""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from recovery_coach.checkins import Checkin
from recovery_coach.records import Link, Profile, ReportAccess, UserRecord
from recovery_coach.store import StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    user TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkins (
    user TEXT NOT NULL,
    day TEXT NOT NULL,
    -- typeof: INTEGER affinity alone would store 7.5 (or '7.5') as a real.
    score INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 0 AND 10),
    took_meds INTEGER,
    history TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user, day)
);
CREATE TABLE IF NOT EXISTS share_codes (
    code_hash TEXT PRIMARY KEY,
    patient TEXT NOT NULL,
    label TEXT NOT NULL,
    expires TEXT NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS links (
    patient TEXT NOT NULL,
    caregiver TEXT NOT NULL,
    label TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (patient, caregiver)
);
CREATE INDEX IF NOT EXISTS links_by_caregiver ON links (caregiver);
CREATE TABLE IF NOT EXISTS report_tokens (
    token_hash TEXT PRIMARY KEY,
    patient TEXT NOT NULL,
    label TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS link_failures (
    caregiver TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    count INTEGER NOT NULL
);
"""


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=5)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction; BEGIN IMMEDIATE makes concurrent writers (other processes too) queue up."""
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreUnavailable(type(e).__name__) from e

    def load(self, user: str, since: date | None = None) -> UserRecord:
        with self._tx() as db:
            row = db.execute("SELECT data FROM profiles WHERE user = ?", (user,)).fetchone()
            rows = []
            if since is not None:
                rows = db.execute(
                    "SELECT day, score, took_meds, history FROM checkins WHERE user = ? AND day >= ? ORDER BY day",
                    (user, since.isoformat()),
                ).fetchall()
        return UserRecord(
            profile=Profile.from_dict(json.loads(row[0]) if row else None),
            checkins=tuple(_checkin(*r) for r in rows),
        )

    def save_checkin(self, user: str, day: date, score: int, at: datetime) -> Checkin:
        with self._tx() as db:
            row = db.execute(
                "SELECT score, history, updated_at, took_meds FROM checkins WHERE user = ? AND day = ?",
                (user, day.isoformat()),
            ).fetchone()
            history = json.loads(row[1]) if row else []
            if row:
                history.append({"score": row[0], "at": row[2]})
            db.execute(
                "INSERT INTO checkins(user, day, score, history, updated_at) VALUES(?, ?, ?, ?, ?) "
                "ON CONFLICT(user, day) DO UPDATE SET score = excluded.score, history = excluded.history, "
                "updated_at = excluded.updated_at",
                (user, day.isoformat(), score, json.dumps(history), at.isoformat()),
            )
        took_meds = None if not row or row[3] is None else bool(row[3])  # a re-check-in keeps it
        return Checkin(day, score, took_meds, tuple(history))

    def set_medication(self, user: str, day: date, took: bool) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE checkins SET took_meds = ? WHERE user = ? AND day = ?", (int(took), user, day.isoformat())
            )
        return cur.rowcount == 1

    def save_profile(self, user: str, profile: Profile) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO profiles(user, data) VALUES(?, ?) ON CONFLICT(user) DO UPDATE SET data = excluded.data",
                (user, json.dumps(profile.to_dict())),
            )

    def delete_user(self, user: str) -> int:
        with self._tx() as db:
            gone = _revoke(db, user)
            gone += db.execute("DELETE FROM links WHERE caregiver = ?", (user,)).rowcount
            db.execute("UPDATE share_codes SET used_by = 'deleted' WHERE used_by = ?", (user,))
            gone += db.execute("DELETE FROM link_failures WHERE caregiver = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM checkins WHERE user = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM profiles WHERE user = ?", (user,)).rowcount
        return gone

    # --- sharing -----------------------------------------------------------------
    def save_share_code(self, patient: str, code_hash: str, label: str, expires: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO share_codes(code_hash, patient, label, expires, used_by) VALUES(?, ?, ?, ?, NULL)",
                (code_hash, patient, label, _utc(expires)),
            )

    def claim_share_code(self, code_hash: str, caregiver: str, now: datetime) -> tuple[str, Link | None]:
        with self._tx() as db:
            row = db.execute(
                "SELECT patient, label, expires, used_by FROM share_codes WHERE code_hash = ?", (code_hash,)
            ).fetchone()
            if row is None:
                return "unknown", None
            patient, label, expires, used_by = row
            if used_by is not None:
                return "used", None
            if expires <= _utc(now):
                return "expired", None
            if patient == caregiver:
                return "own", None
            db.execute("UPDATE share_codes SET used_by = ? WHERE code_hash = ?", (caregiver, code_hash))
            db.execute(
                "INSERT OR REPLACE INTO links(patient, caregiver, label, since) VALUES(?, ?, ?, ?)",
                (patient, caregiver, label, _utc(now)),
            )
        return "ok", Link(patient, caregiver, label, now)

    def count_failed_link(self, caregiver: str, now: datetime, window: timedelta, record: bool) -> int:
        with self._tx() as db:
            row = db.execute("SELECT window_start, count FROM link_failures WHERE caregiver = ?", (caregiver,)).fetchone()
            start, count = (row[0], row[1]) if row and row[0] > _utc(now - window) else (_utc(now), 0)
            if record:
                count += 1
                db.execute(
                    "INSERT OR REPLACE INTO link_failures(caregiver, window_start, count) VALUES(?, ?, ?)",
                    (caregiver, start, count),
                )
        return count

    def links_of_caregiver(self, caregiver: str) -> list[Link]:
        return self._links("caregiver", caregiver)

    def links_of_patient(self, patient: str) -> list[Link]:
        return self._links("patient", patient)

    def _links(self, column: str, user: str) -> list[Link]:
        with self._tx() as db:
            rows = db.execute(
                f"SELECT patient, caregiver, label, since FROM links WHERE {column} = ? ORDER BY since, label", (user,)
            ).fetchall()
        return [Link(p, c, label, datetime.fromisoformat(since)) for p, c, label, since in rows]

    def unlink(self, caregiver: str, patient: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM links WHERE caregiver = ? AND patient = ?", (caregiver, patient))
        return cur.rowcount == 1

    def revoke_sharing(self, patient: str) -> int:
        with self._tx() as db:
            return _revoke(db, patient)

    def save_report_token(self, token_hash: str, patient: str, label: str, expires: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO report_tokens(token_hash, patient, label, expires) VALUES(?, ?, ?, ?)",
                (token_hash, patient, label, _utc(expires)),
            )

    def report_access(self, token_hash: str, now: datetime) -> ReportAccess | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT patient, label, expires FROM report_tokens WHERE token_hash = ? AND expires > ?",
                (token_hash, _utc(now)),
            ).fetchone()
        return ReportAccess(row[0], row[1], datetime.fromisoformat(row[2])) if row else None


def _utc(moment: datetime) -> str:
    """Sortable text for a moment: UTC, ISO 8601, fixed width."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _revoke(db: sqlite3.Connection, patient: str) -> int:
    gone = db.execute("DELETE FROM links WHERE patient = ?", (patient,)).rowcount
    gone += db.execute("DELETE FROM share_codes WHERE patient = ?", (patient,)).rowcount
    gone += db.execute("DELETE FROM report_tokens WHERE patient = ?", (patient,)).rowcount
    return gone


def _checkin(day: str, score: int, took_meds: int | None, history: str) -> Checkin:
    return Checkin(date.fromisoformat(day), score, None if took_meds is None else bool(took_meds), tuple(json.loads(history)))
