"""The embedded default store: one SQLite file under the user's data directory."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from recovery_coach import budget
from recovery_coach.checkins import Checkin
from recovery_coach.records import Alert, Link, Profile, ReportAccess, UserRecord
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
    alert_to TEXT,  -- the caregiver's Alexa user id, only while they want alerts about this patient
    alert_endpoint TEXT,  -- and their region's Alexa API host
    PRIMARY KEY (patient, caregiver)
);
CREATE INDEX IF NOT EXISTS links_by_caregiver ON links (caregiver);
CREATE TABLE IF NOT EXISTS report_tokens (
    token_hash TEXT PRIMARY KEY,
    patient TEXT NOT NULL,
    label TEXT NOT NULL,
    expires TEXT NOT NULL
);
-- A caregiver's notice that a patient ended their link: the label only, never the patient's key.
CREATE TABLE IF NOT EXISTS ended_links (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    caregiver TEXT NOT NULL,
    label TEXT NOT NULL
);
-- Alerts for caregivers, queued by the patient's turn and sent after it (alerts.deliver).
CREATE TABLE IF NOT EXISTS alert_queue (
    patient TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    queued TEXT NOT NULL,
    sent TEXT NOT NULL DEFAULT '[]',
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (patient, day, kind)
);
DROP TABLE IF EXISTS link_failures;
-- Link attempts per hour (UTC, "2026112415"): one row per caregiver key, and one for everyone ("*").
CREATE TABLE IF NOT EXISTS link_attempts (
    who TEXT NOT NULL,
    hour TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (who, hour)
);
"""
EVERYONE = "*"
BUSY_SECONDS = 5
# SQLite's own busy handler sleeps inside C, which under serve's gevent workers stops every other
# request of the worker (the urgent reply, /health) while one request waits on a locked file. So it
# waits only this long; longer waits are _busy's short time.sleep steps, which gevent turns into
# yields, bounded by BUSY_SECONDS and the request's budget.
C_BUSY_SECONDS = 0.01


def _busy[T](attempt: Callable[[], T]) -> T:
    """`attempt()`, tried again while SQLite says the file is busy (another process or connection
    holds the lock), until the request's budget or BUSY_SECONDS runs out; then the busy error."""
    deadline = time.monotonic() + budget.within(BUSY_SECONDS)
    pause = 0.002
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as e:
            busy = e.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # extended codes too
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _wal(db: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging. SQLite answers "locked" at once, without waiting,
    when another connection is switching the same file at that moment, so wait here as a busy
    writer would (bounded by the same timeout)."""
    _busy(lambda: db.execute("PRAGMA journal_mode=WAL"))


class SqliteStore:
    """Opened on first use, not when built: a file that is corrupt or can't be opened (a read-only
    directory, say) makes each store call raise StoreUnavailable, and never stops the skill from
    starting, so the safety screen and the urgent reply, which need no store, still speak."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=C_BUSY_SECONDS)
        try:
            # Deleted rows are overwritten, not left in free pages (delete_user also empties the WAL).
            db.execute("PRAGMA secure_delete=ON")
            _wal(db)
            # The schema and its migration as one write transaction, so two processes opening a new
            # file at once queue up instead of both adding the same column. (A busy BEGIN runs none
            # of the script, so it is tried again whole.)
            _busy(lambda: db.executescript("BEGIN IMMEDIATE;" + SCHEMA))
            columns = {row[1] for row in db.execute("PRAGMA table_info(report_tokens)")}
            if "caregiver" not in columns:  # a file from before report links were tied to who minted them
                db.execute("ALTER TABLE report_tokens ADD COLUMN caregiver TEXT")
            link_columns = {row[1] for row in db.execute("PRAGMA table_info(links)")}
            for column in ("alert_to", "alert_endpoint"):  # a file from before alerts
                if column not in link_columns:
                    db.execute(f"ALTER TABLE links ADD COLUMN {column} TEXT")
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened (and the schema made) on first use; a failed open is tried again
        on the next call."""
        if self._conn is None:
            try:
                self._conn = self._open()
            except (sqlite3.Error, OSError) as e:
                raise StoreUnavailable(type(e).__name__) from e
        return self._conn

    @contextmanager
    def _held(self) -> Iterator[sqlite3.Connection]:
        """The connection, to this thread alone. Another request of this process holding it is waited
        for only as long as this request's budget allows, as a locked file is; then StoreUnavailable."""
        if not self._lock.acquire(timeout=budget.within(BUSY_SECONDS)):
            raise StoreUnavailable("busy")
        try:
            yield self._db
        finally:
            self._lock.release()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction; BEGIN IMMEDIATE makes concurrent writers (other processes too) queue up."""
        try:
            with self._held() as db:
                _busy(lambda: db.execute("BEGIN IMMEDIATE"))
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreUnavailable(type(e).__name__) from e

    def load(self, user: str, since: date | None = None) -> UserRecord:
        with self._tx() as db:
            return _record(db, user, since)

    def load_with_links(self, user: str, since: date) -> tuple[UserRecord, list[Link], list[str]]:
        with self._tx() as db:
            record = _record(db, user, since)
            links = _link_rows(db, "caregiver", user)
            rows = db.execute("SELECT label FROM ended_links WHERE caregiver = ? ORDER BY seq", (user,)).fetchall()
        return record, links, [label for (label,) in rows]

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
            gone += db.execute("DELETE FROM ended_links WHERE caregiver = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM report_tokens WHERE caregiver = ?", (user,)).rowcount
            db.execute("UPDATE share_codes SET used_by = 'deleted' WHERE used_by = ?", (user,))
            gone += db.execute("DELETE FROM link_attempts WHERE who = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM alert_queue WHERE patient = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM checkins WHERE user = ?", (user,)).rowcount
            gone += db.execute("DELETE FROM profiles WHERE user = ?", (user,)).rowcount
        self._forget_wal()
        return gone

    def _forget_wal(self) -> None:
        """Copy the WAL into the file (where secure_delete has zeroed the deleted rows) and empty it,
        so no old page with the deleted user's rows stays in the -wal file. Best effort: if another
        connection is reading, the next checkpoint does it, and the deletion itself has succeeded."""
        try:
            with self._held() as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except (StoreUnavailable, sqlite3.Error):
            pass

    # --- sharing -----------------------------------------------------------------
    def save_share_code(self, patient: str, code_hash: str, label: str, expires: datetime) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM share_codes WHERE patient = ? AND used_by IS NULL", (patient,))  # one live code
            db.execute(
                "INSERT OR REPLACE INTO share_codes(code_hash, patient, label, expires, used_by) VALUES(?, ?, ?, ?, NULL)",
                (code_hash, patient, label, _utc(expires)),
            )

    def code_label(self, code_hash: str, now: datetime) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT label FROM share_codes WHERE code_hash = ? AND used_by IS NULL AND expires > ?",
                             (code_hash, _utc(now))).fetchone()
        return str(row[0]) if row else None

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

    def reserve_link_attempt(self, caregiver: str, now: datetime, per_caregiver: int, overall: int) -> str:
        hour = _hour(now)
        with self._tx() as db:
            counts = dict(db.execute("SELECT who, count FROM link_attempts WHERE hour = ? AND who IN (?, ?)",
                                     (hour, caregiver, EVERYONE)).fetchall())
            if counts.get(caregiver, 0) >= per_caregiver:
                return "caregiver"
            if counts.get(EVERYONE, 0) >= overall:
                return "overall"
            db.execute("DELETE FROM link_attempts WHERE hour < ?", (hour,))
            for who in (caregiver, EVERYONE):
                db.execute("INSERT INTO link_attempts(who, hour, count) VALUES(?, ?, 1) "
                           "ON CONFLICT(who, hour) DO UPDATE SET count = count + 1", (who, hour))
        return "ok"

    def refund_link_attempt(self, caregiver: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE link_attempts SET count = MAX(count - 1, 0) WHERE hour = ? AND who IN (?, ?)",
                       (_hour(now), caregiver, EVERYONE))

    def links_of_caregiver(self, caregiver: str) -> list[Link]:
        return self._links("caregiver", caregiver)

    def links_of_patient(self, patient: str) -> list[Link]:
        return self._links("patient", patient)

    def _links(self, column: str, user: str) -> list[Link]:
        with self._tx() as db:
            return _link_rows(db, column, user)

    def unlink(self, caregiver: str, patient: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM links WHERE caregiver = ? AND patient = ?", (caregiver, patient))
            db.execute("DELETE FROM report_tokens WHERE caregiver = ? AND patient = ?", (caregiver, patient))
        return cur.rowcount == 1

    def revoke_sharing(self, patient: str) -> int:
        with self._tx() as db:
            return _revoke(db, patient)

    def relabel(self, patient: str, label: str) -> int:
        with self._tx() as db:
            linked = db.execute("UPDATE links SET label = ? WHERE patient = ?", (label, patient)).rowcount
            db.execute("UPDATE share_codes SET label = ? WHERE patient = ? AND used_by IS NULL", (label, patient))
            db.execute("UPDATE report_tokens SET label = ? WHERE patient = ?", (label, patient))
        return linked

    def caregiver_links(self, caregiver: str) -> tuple[list[Link], list[str]]:
        with self._tx() as db:
            links = _link_rows(db, "caregiver", caregiver)
            rows = db.execute("SELECT label FROM ended_links WHERE caregiver = ? ORDER BY seq", (caregiver,)).fetchall()
        return links, [label for (label,) in rows]

    def forget_ended(self, caregiver: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM ended_links WHERE caregiver = ?", (caregiver,))

    def report_links(self, patient: str, now: datetime) -> int:
        with self._tx() as db:
            (count,) = db.execute(f"SELECT COUNT(*) FROM report_tokens t WHERE patient = ? AND {LIVE_TOKEN}",
                                  (patient, _utc(now))).fetchone()
        return int(count)

    def save_report_token(self, token_hash: str, patient: str, label: str, expires: datetime,
                          caregiver: str | None = None, keep: int = 3) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO report_tokens(token_hash, patient, label, expires, caregiver) VALUES(?, ?, ?, ?, ?)",
                (token_hash, patient, label, _utc(expires), caregiver),
            )
            if caregiver is not None:  # only the caregiver's `keep` newest links stay
                db.execute(
                    "DELETE FROM report_tokens WHERE caregiver = ? AND token_hash NOT IN (SELECT token_hash FROM "
                    "report_tokens WHERE caregiver = ? ORDER BY expires DESC, rowid DESC LIMIT ?)",
                    (caregiver, caregiver, max(1, keep)),
                )

    def report_access(self, token_hash: str, now: datetime) -> ReportAccess | None:
        with self._tx() as db:
            # A link a caregiver minted works only while that caregiver is still linked.
            row = db.execute(
                f"SELECT patient, label, expires FROM report_tokens t WHERE token_hash = ? AND {LIVE_TOKEN}",
                (token_hash, _utc(now)),
            ).fetchone()
        return ReportAccess(row[0], row[1], datetime.fromisoformat(row[2])) if row else None

    # --- caregiver alerts ----------------------------------------------------------
    def set_alerts(self, caregiver: str, to: str | None, endpoint: str | None = None) -> int:
        with self._tx() as db:
            return db.execute("UPDATE links SET alert_to = ?, alert_endpoint = ? WHERE caregiver = ?",
                              (to, endpoint if to else None, caregiver)).rowcount

    def alerting_patients(self) -> list[str]:
        with self._tx() as db:
            rows = db.execute("SELECT DISTINCT patient FROM links WHERE alert_to IS NOT NULL ORDER BY patient").fetchall()
        return [patient for (patient,) in rows]

    def queue_alert(self, patient: str, kind: str, day: date, now: datetime) -> bool:
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO alert_queue(patient, kind, day, queued) VALUES(?, ?, ?, ?)",
                             (patient, kind, day.isoformat(), _utc(now)))
            db.execute("DELETE FROM alert_queue WHERE queued < ?", (_utc(now - ALERT_KEPT),))
        return cur.rowcount == 1

    def alerts_due(self, now: datetime, since: datetime) -> list[Alert]:
        with self._tx() as db:
            rows = db.execute("SELECT patient, kind, day, queued, sent FROM alert_queue WHERE done = 0 AND queued > ? "
                              "ORDER BY queued LIMIT 100", (_utc(since),)).fetchall()
        return _alerts(rows)

    def patient_alerts(self, patient: str, since: date) -> list[Alert]:
        with self._tx() as db:
            rows = db.execute("SELECT patient, kind, day, queued, sent FROM alert_queue WHERE patient = ? AND day >= ? "
                              "ORDER BY day, queued", (patient, since.isoformat())).fetchall()
        return _alerts(rows)

    def mark_alert(self, alert: Alert, caregiver: str, sent: bool) -> bool:
        key = (alert.patient, alert.day.isoformat(), alert.kind)
        with self._tx() as db:
            row = db.execute("SELECT sent FROM alert_queue WHERE patient = ? AND day = ? AND kind = ?", key).fetchone()
            if row is None:
                return False
            marked = set(json.loads(row[0]))
            if sent and caregiver in marked:
                return False
            marked = marked | {caregiver} if sent else marked - {caregiver}
            db.execute("UPDATE alert_queue SET sent = ? WHERE patient = ? AND day = ? AND kind = ?",
                       (json.dumps(sorted(marked)), *key))
        return True

    def finish_alert(self, alert: Alert) -> None:
        with self._tx() as db:
            db.execute("UPDATE alert_queue SET done = 1 WHERE patient = ? AND day = ? AND kind = ?",
                       (alert.patient, alert.day.isoformat(), alert.kind))


# How long a queued alert is kept (sent or not): its day's repeats stay single for that long.
ALERT_KEPT = timedelta(days=3)

# A report token that opens its page now (`?` is now): unexpired and, minted by a caregiver, that
# caregiver still linked.
LIVE_TOKEN = ("expires > ? AND (caregiver IS NULL OR EXISTS "
              "(SELECT 1 FROM links l WHERE l.patient = t.patient AND l.caregiver = t.caregiver))")


def _hour(moment: datetime) -> str:
    """The fixed one-hour window a link attempt counts in (UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H")


def _utc(moment: datetime) -> str:
    """Sortable text for a moment: UTC, ISO 8601, fixed width."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _record(db: sqlite3.Connection, user: str, since: date | None) -> UserRecord:
    row = db.execute("SELECT data FROM profiles WHERE user = ?", (user,)).fetchone()
    rows = []
    if since is not None:
        rows = db.execute("SELECT day, score, took_meds, history FROM checkins WHERE user = ? AND day >= ? ORDER BY day",
                          (user, since.isoformat())).fetchall()
    return UserRecord(profile=Profile.from_dict(json.loads(row[0]) if row else None),
                      checkins=tuple(_checkin(*r) for r in rows))


def _link_rows(db: sqlite3.Connection, column: str, user: str) -> list[Link]:
    """The links whose `column` ("patient" or "caregiver") is `user`, oldest first, then by label."""
    rows = db.execute(
        f"SELECT patient, caregiver, label, since, alert_to, alert_endpoint FROM links WHERE {column} = ? "
        "ORDER BY since, label", (user,)
    ).fetchall()
    return [Link(p, c, label, datetime.fromisoformat(since), to, where) for p, c, label, since, to, where in rows]


def _revoke(db: sqlite3.Connection, patient: str) -> int:
    db.execute("INSERT INTO ended_links(caregiver, label) SELECT caregiver, label FROM links WHERE patient = ? "
               "ORDER BY since", (patient,))
    gone = db.execute("DELETE FROM links WHERE patient = ?", (patient,)).rowcount
    gone += db.execute("DELETE FROM share_codes WHERE patient = ?", (patient,)).rowcount
    gone += db.execute("DELETE FROM report_tokens WHERE patient = ?", (patient,)).rowcount
    return gone


def _alerts(rows: list[tuple[str, str, str, str, str]]) -> list[Alert]:
    return [Alert(p, k, date.fromisoformat(d), datetime.fromisoformat(q), frozenset(json.loads(sent)))
            for p, k, d, q, sent in rows]


def _checkin(day: str, score: int, took_meds: int | None, history: str) -> Checkin:
    return Checkin(date.fromisoformat(day), score, None if took_meds is None else bool(took_meds), tuple(json.loads(history)))
