"""The embedded default store: one SQLite file under the user's data directory."""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from recovery_coach.checkins import Checkin
from recovery_coach.records import Profile, UserRecord
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
            gone = db.execute("DELETE FROM checkins WHERE user = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM profiles WHERE user = ?", (user,)).rowcount
        return gone


def _checkin(day: str, score: int, took_meds: int | None, history: str) -> Checkin:
    return Checkin(date.fromisoformat(day), score, None if took_meds is None else bool(took_meds), tuple(json.loads(history)))
