"""The production store: one DynamoDB table (defined in template.yaml), one item per record.

Item layout (pk, sk):
  USER#<user key>   PROFILE                 disclaimer_heard, procedure_date
  USER#<user key>   CHECKIN#<YYYY-MM-DD>    score, took_meds, history [{score, at}], version, updated_at
Every item carries `expires_at` (epoch seconds) for the table's TTL. Check-ins are
separate items so no item grows toward DynamoDB's 400 KB limit, and a date range is
one Query. A user's profile and recent check-ins come back in that same Query,
because "CHECKIN#…" < "PROFILE".
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from recovery_coach import budget
from recovery_coach.clock import Clock, system_clock
from recovery_coach.checkins import Checkin
from recovery_coach.records import ALERT_QUEUE_KEY, Alert, Link, Profile, ReportAccess, UserRecord
from recovery_coach.store import SaveUnconfirmed, StoreUnavailable

PROFILE = "PROFILE"
CHECKIN = "CHECKIN#"
# Sharing. Under the user's own key these sort after PROFILE, so the profile-and-check-ins
# Query never reads them: SHARE#CARE#<caregiver>, SHARE#PATIENT#<patient> (the two halves of
# a link), SHARE#CODE#<hash> and SHARE#TOKEN#<hash> (so revoking finds them), SHARE#MINTED#<hash>
# (a report link this user minted as a caregiver, so unlinking and deleting find it), and
# SHARE#LINKFAIL#<hour> (link attempts in that UTC hour). Everyone's attempts: LINKFAIL / <hour>.
SHARE = "SHARE#"
SHARE_CARE, SHARE_PATIENT = "SHARE#CARE#", "SHARE#PATIENT#"
SHARE_CODE, SHARE_TOKEN, SHARE_LINKFAIL = "SHARE#CODE#", "SHARE#TOKEN#", "SHARE#LINKFAIL#"
SHARE_MINTED = "SHARE#MINTED#"
SHARE_ENDED = "SHARE#ENDED#"  # under a caregiver: a patient ended the link (the label only)
CODE, TOKEN, LINKFAIL = "CODE#", "TOKEN#", "LINKFAIL"
# Queued caregiver alerts, all under one key (few: kept 3 days), sorted by patient, so one Query
# lists what is due and one finds a patient's (to delete them); the table's stream hands each new
# one to the alerts function. sk: <patient>#<day>#<kind>.
ALERTQ = ALERT_QUEUE_KEY
# A patient's half of a link whose caregiver wants alerts carries ALERTING = "1": the sparse index
# of that name (template.yaml) lists exactly those, for the daily missed-days check (no Scan).
ALERTING = "alerting"
ALERT_KEPT_SECONDS = 3 * 86400
# Projected by deletes: the attributes that name the other halves of a share item.
HALVES = "pk, sk, patient, caregiver, label"
RETRYABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
RETRYABLE_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# The request went out and its answer was lost: a write may have been applied.
ANSWER_LOST = (ReadTimeoutError, ConnectionClosedError)
CONFLICT_ATTEMPTS = 5


def _pk(user: str) -> dict[str, str]:
    return {"S": f"USER#{user}"}


def _day_key(day: date) -> dict[str, str]:
    return {"S": f"{CHECKIN}{day.isoformat()}"}


def _conditional_failed(e: ClientError) -> bool:
    """A condition said no (the caller decides what that means): not a fault to retry."""
    return e.response.get("Error", {}).get("Code") in ("ConditionalCheckFailedException", "TransactionCanceledException")


class DynamoStore:
    """`client` is a boto3 DynamoDB client built once per container (botocore's own retries off:
    this class retries throttling and connection faults itself).

    Every public method is one operation with one budget: at most `attempts` tries per request
    and no retry is started once `deadline` seconds have passed since the operation began (the
    request in flight is bounded by the client's connect/read timeouts). After that the method
    raises StoreUnavailable."""

    def __init__(
        self,
        client: Any,
        table: str,
        retention_days: int = 365,
        attempts: int = 3,
        deadline: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Clock = system_clock,
    ) -> None:
        self.client = client
        self.table = table
        self.retention_seconds = retention_days * 86400
        self.attempts = max(1, attempts)
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock  # monotonic: for deadlines only
        self.now = now  # the wall clock: expiry of stored items

    # --- one call, bounded retries ---------------------------------------------
    def _until(self) -> float:
        """The deadline of an operation that starts now; every call it makes shares it."""
        return self.clock() + budget.within(self.deadline)

    def _backoff(self, attempt: int, until: float) -> bool:
        """Sleep before retry number `attempt` + 1; False if that retry would not fit."""
        pause = min(0.05 * 2**attempt, 0.5) * random.uniform(0.5, 1.0)
        if attempt >= self.attempts or self.clock() + pause >= until:
            return False
        self.sleep(pause)
        return True

    def _call(self, op: str, until: float, *, table: bool = True, **kwargs: Any) -> dict[str, Any]:
        if table:
            kwargs["TableName"] = self.table
        error: Exception | None = None
        reason, sent = "deadline", False
        for attempt in range(1, self.attempts + 1):
            if self.clock() >= until:
                break  # the operation's budget is spent (earlier requests of it were slow)
            try:
                return getattr(self.client, op)(**kwargs)
            except ClientError as e:
                if _conditional_failed(e):
                    raise
                code = e.response.get("Error", {}).get("Code", "ClientError")
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
                if code not in RETRYABLE_CODES and status < 500:
                    raise StoreUnavailable(code) from e
                error, reason, sent = e, code, sent or status >= 500  # a 500 may have been applied
            except RETRYABLE_ERRORS as e:
                error, reason, sent = e, type(e).__name__, sent or isinstance(e, ANSWER_LOST)
            except BotoCoreError as e:
                raise StoreUnavailable(type(e).__name__) from e
            if not self._backoff(attempt, until):
                break
        failure = StoreUnavailable(reason)
        failure.maybe_written = sent
        raise failure from error

    def _expires(self, now: float | None = None) -> dict[str, str]:
        return {"N": str(int(now if now is not None else self.now().timestamp()) + self.retention_seconds)}

    def _live(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """TTL deletes lazily (and on the service's clock): expiry is judged here, on ours."""
        now = int(self.now().timestamp())
        return [i for i in items if not ("expires_at" in i and int(i["expires_at"]["N"]) <= now)]

    # --- reads -------------------------------------------------------------------
    def load(self, user: str, since: date | None = None) -> UserRecord:
        # Strongly consistent: a check-in saved a moment ago (this request or the last) must show.
        until = self._until()
        if since is None:
            item = self._call(
                "get_item", until, Key={"pk": _pk(user), "sk": {"S": PROFILE}}, ConsistentRead=True
            ).get("Item")
            return UserRecord(profile=_profile(item))
        return _record(self._live(self._query_all(until, _pk(user), between=(_day_key(since)["S"], PROFILE))))

    def load_with_links(self, user: str, since: date) -> tuple[UserRecord, list[Link], list[str]]:
        """One Query from the first check-in day through every SHARE#PATIENT#… ('$' sorts right after
        '#'): the profile and check-ins, then the share items, of which the few that are neither a
        link nor a notice (the patient's own sharing, a caregiver's counters) are left out here."""
        items = self._live(self._query_all(self._until(), _pk(user),
                                           between=(_day_key(since)["S"], SHARE_PATIENT[:-1] + "$")))
        return _record(items), *_care(user, items)

    # --- writes ------------------------------------------------------------------
    def save_checkin(self, user: str, day: date, score: int, at: datetime) -> Checkin:
        key = {"pk": _pk(user), "sk": _day_key(day)}
        stamp = {"S": at.isoformat()}
        until = self._until()
        try:
            return self._save_checkin(key, day, score, stamp, at, until)
        except StoreUnavailable as e:
            if not e.maybe_written:
                raise
            # A slow or lost answer to a write: read back before anyone is told anything. Only seeing our
            # own write settles it; an absent item doesn't (the lost write may still land), nor does a
            # spent budget (no read is made): both are SaveUnconfirmed, never "not saved".
            try:
                item = self._call("get_item", until, Key=key, ConsistentRead=True).get("Item")
            except StoreUnavailable:
                item = None
            if item and item.get("score") == {"N": str(score)} and item.get("updated_at") == stamp:
                return _checkin(item)
            raise SaveUnconfirmed(str(e)) from e

    def _save_checkin(self, key: dict[str, Any], day: date, score: int, stamp: dict[str, str], at: datetime,
                      until: float) -> Checkin:
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                self._call(
                    "put_item",
                    until,
                    Item={
                        **key,
                        "score": {"N": str(score)},
                        "history": {"L": []},
                        "version": {"N": "1"},
                        "updated_at": stamp,
                        "expires_at": self._expires(at.timestamp()),
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return Checkin(day, score)
            except ClientError as e:
                if not _conditional_failed(e):
                    raise
                old = e.response.get("Item") or self._call("get_item", until, Key=key, ConsistentRead=True).get(
                    "Item"
                )
            if not old:
                continue  # deleted in between: try the insert again
            if old.get("score") == {"N": str(score)} and old.get("updated_at") == stamp:
                # Our own write already landed (a retried request whose first answer was lost):
                # don't file the value a second time as a replaced one.
                return _checkin(old)
            replaced = {"M": {"score": old["score"], "at": old.get("updated_at", stamp)}}
            version = old.get("version")
            try:
                result = self._call(
                    "update_item",
                    until,
                    Key=key,
                    UpdateExpression=(
                        "SET score = :score, history = list_append(if_not_exists(history, :empty), :old), "
                        "version = :next, updated_at = :at, expires_at = :exp"
                    ),
                    ConditionExpression="version = :version" if version else "attribute_not_exists(version)",
                    ExpressionAttributeValues={
                        ":score": {"N": str(score)},
                        ":empty": {"L": []},
                        ":old": {"L": [replaced]},
                        **({":version": version} if version else {}),
                        ":next": {"N": str(int(version["N"]) + 1 if version else 1)},
                        ":at": stamp,
                        ":exp": self._expires(at.timestamp()),
                    },
                    ReturnValues="ALL_NEW",
                )
                return _checkin(result["Attributes"])
            except ClientError as e:
                if not _conditional_failed(e):
                    raise
        raise StoreUnavailable("ConditionalCheckFailedException")

    def set_medication(self, user: str, day: date, took: bool) -> bool:
        try:
            self._call(
                "update_item",
                self._until(),
                Key={"pk": _pk(user), "sk": _day_key(day)},
                UpdateExpression="SET took_meds = :took",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":took": {"BOOL": took}},
            )
            return True
        except ClientError as e:
            if _conditional_failed(e):
                return False
            raise

    def save_profile(self, user: str, profile: Profile) -> None:
        item: dict[str, Any] = {
            "pk": _pk(user),
            "sk": {"S": PROFILE},
            "disclaimer_heard": {"BOOL": profile.disclaimer_heard},
            "expires_at": self._expires(),
        }
        for name, value in profile.to_dict().items():
            if isinstance(value, str):
                item[name] = {"S": value}
        self._call("put_item", self._until(), Item=item)

    def delete_user(self, user: str) -> int:
        """Everything under the user's key, and the other half of every share they gave or received.
        Deletes in batches of 25. If it raises part way, what was deleted stays deleted; calling it
        again finishes the job (deleting is idempotent)."""
        until = self._until()
        items = self._query_all(until, _pk(user), projection=HALVES)
        self._tell_ended([i for i in items if i["sk"]["S"].startswith(SHARE_CARE)], until)
        # The other halves first: if this stops part way, a retry still finds what is left.
        keys = [k for i in items for k in _other_half(user, i)]
        keys += [{"pk": i["pk"], "sk": i["sk"]} for i in items]
        queued = self._query_all(until, {"S": ALERTQ}, f"{user}#", projection="pk, sk")
        keys += [{"pk": i["pk"], "sk": i["sk"]} for i in queued]
        self._delete_keys(keys, until)
        return len(items) + len(queued)

    def _query_all(self, until: float, pk: dict[str, str], prefix: str | None = None, projection: str | None = None,
                   between: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item under `pk` (sort keys starting with `prefix`, or within `between`), all pages."""
        condition, values = "pk = :pk", {":pk": pk}
        if prefix:
            condition, values = condition + " AND begins_with(sk, :prefix)", {**values, ":prefix": {"S": prefix}}
        if between:
            condition += " AND sk BETWEEN :from AND :to"
            values = {**values, ":from": {"S": between[0]}, ":to": {"S": between[1]}}
        return self._pages(until, ConsistentRead=True,  # a write just before must be seen (and must not survive a delete)
                           KeyConditionExpression=condition, ExpressionAttributeValues=values,
                           **({"ProjectionExpression": projection} if projection else {}))

    def _pages(self, until: float, **query: Any) -> list[dict[str, Any]]:
        """Every item one Query finds, all pages."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            more: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            page = self._call("query", until, **query, **more)
            items.extend(page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def _delete_keys(self, keys: list[dict[str, Any]], until: float) -> None:
        for i in range(0, len(keys), 25):
            pending = [{"DeleteRequest": {"Key": k}} for k in keys[i : i + 25]]
            for attempt in range(1, self.attempts + 1):
                # batch_write_item names the table inside RequestItems, not as TableName.
                out = self._call("batch_write_item", until, table=False, RequestItems={self.table: pending})
                pending = out.get("UnprocessedItems", {}).get(self.table, [])
                if not pending or not self._backoff(attempt, until):
                    break
            if pending:
                raise StoreUnavailable("UnprocessedItems")

    def _transact(self, until: float, *items: dict[str, Any]) -> None:
        for item in items:
            next(iter(item.values()))["TableName"] = self.table
        self._call("transact_write_items", until, table=False, TransactItems=list(items))

    # --- sharing -------------------------------------------------------------------
    def save_share_code(self, patient: str, code_hash: str, label: str, expires: datetime) -> None:
        """One live code per patient: the earlier codes go in the same transaction as the new one is put."""
        until = self._until()
        old = self._query_all(until, _pk(patient), SHARE_CODE, projection="pk, sk")[:40]  # 2 items each, of 100
        voided = [{"Delete": {"Key": k}} for i in old for k in (*_other_half(patient, i), {"pk": i["pk"], "sk": i["sk"]})]
        self._save_secret(CODE, "CODE", SHARE_CODE, code_hash, patient, label, expires, until=until, more=voided)

    def _save_secret(self, prefix: str, sk: str, pointer: str, digest: str, patient: str, label: str,
                     expires: datetime, until: float | None = None, caregiver: str | None = None,
                     more: list[dict[str, Any]] | None = None, seq: int = 0) -> None:
        """A hashed code or token, and the pointers that let revoking (and unlinking) find it, in one transaction."""
        exp = {"N": str(int(expires.timestamp()))}
        minted = {"caregiver": {"S": caregiver}} if caregiver else {}
        items: list[dict[str, Any]] = [
            {"Put": {"Item": {"pk": {"S": prefix + digest}, "sk": {"S": sk}, "patient": {"S": patient},
                              "label": {"S": label}, "expires_at": exp, **minted}}},
            {"Put": {"Item": {"pk": _pk(patient), "sk": {"S": pointer + digest}, "expires_at": exp, **minted}}},
        ]
        if caregiver:
            items.append({"Put": {"Item": {"pk": _pk(caregiver), "sk": {"S": SHARE_MINTED + digest},
                                           "patient": {"S": patient}, "seq": {"N": str(seq)}, "expires_at": exp}}})
        self._transact(self._until() if until is None else until, *items, *(more or []))

    def code_label(self, code_hash: str, now: datetime) -> str | None:
        key = {"pk": {"S": CODE + code_hash}, "sk": {"S": "CODE"}}
        item = self._call("get_item", self._until(), Key=key, ConsistentRead=True).get("Item")
        if item is None or "used_by" in item or int(item["expires_at"]["N"]) <= int(now.timestamp()):
            return None
        return str(item["label"]["S"])

    def claim_share_code(self, code_hash: str, caregiver: str, now: datetime) -> tuple[str, Link | None]:
        until = self._until()
        key = {"pk": {"S": CODE + code_hash}, "sk": {"S": "CODE"}}
        item = self._call("get_item", until, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return "unknown", None
        if "used_by" in item:
            return "used", None
        if int(item["expires_at"]["N"]) <= int(now.timestamp()):
            return "expired", None
        patient, label = item["patient"]["S"], item["label"]["S"]
        if patient == caregiver:
            return "own", None
        link = {"label": {"S": label}, "since": {"S": now.isoformat()}, "expires_at": self._expires(now.timestamp())}
        try:
            self._transact(
                until,
                {"Update": {"Key": key, "UpdateExpression": "SET used_by = :c",
                            "ConditionExpression": "attribute_not_exists(used_by) AND expires_at > :now",
                            "ExpressionAttributeValues": {":c": {"S": caregiver}, ":now": {"N": str(int(now.timestamp()))}}}},
                {"Put": {"Item": {"pk": _pk(patient), "sk": {"S": SHARE_CARE + caregiver}, **link}}},
                {"Put": {"Item": {"pk": _pk(caregiver), "sk": {"S": SHARE_PATIENT + patient}, **link}}},
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return "used", None  # another caregiver claimed it a moment before
            raise
        return "ok", Link(patient, caregiver, label, now)

    def reserve_link_attempt(self, caregiver: str, now: datetime, per_caregiver: int, overall: int) -> str:
        """Two conditional updates, each atomic: the caregiver's hour, then everyone's (given back if full)."""
        until, hour = self._until(), _hour(now)
        mine = {"pk": _pk(caregiver), "sk": {"S": SHARE_LINKFAIL + hour}}
        if not self._bump(until, mine, now, limit=per_caregiver):
            return "caregiver"
        if not self._bump(until, {"pk": {"S": LINKFAIL}, "sk": {"S": hour}}, now, limit=overall):
            self._bump(until, mine, now, by=-1)
            return "overall"
        return "ok"

    def refund_link_attempt(self, caregiver: str, now: datetime) -> None:
        until, hour = self._until(), _hour(now)
        self._bump(until, {"pk": _pk(caregiver), "sk": {"S": SHARE_LINKFAIL + hour}}, now, by=-1)
        self._bump(until, {"pk": {"S": LINKFAIL}, "sk": {"S": hour}}, now, by=-1)

    def _bump(self, until: float, key: dict[str, Any], now: datetime, by: int = 1, limit: int | None = None) -> bool:
        """Add `by` to an hour's attempt count; False (and nothing changed) if that would pass `limit`."""
        values: dict[str, Any] = {":by": {"N": str(by)}, ":exp": {"N": str(int(now.timestamp()) + 7200)}}
        condition: dict[str, Any] = {}
        if limit is not None:
            condition = {"ConditionExpression": "attribute_not_exists(#n) OR #n < :limit"}
            values[":limit"] = {"N": str(limit)}
        try:
            self._call("update_item", until, Key=key, UpdateExpression="ADD #n :by SET expires_at = :exp",
                       ExpressionAttributeNames={"#n": "attempts"}, ExpressionAttributeValues=values, **condition)
        except ClientError as e:
            if _conditional_failed(e):
                return False
            raise
        return True

    def links_of_caregiver(self, caregiver: str) -> list[Link]:
        items = self._live(self._query_all(self._until(), _pk(caregiver), SHARE_PATIENT))
        return _oldest_first([_link(i["sk"]["S"][len(SHARE_PATIENT):], caregiver, i) for i in items])

    def links_of_patient(self, patient: str) -> list[Link]:
        items = self._live(self._query_all(self._until(), _pk(patient), SHARE_CARE))
        return _oldest_first([_link(patient, i["sk"]["S"][len(SHARE_CARE):], i) for i in items])

    def unlink(self, caregiver: str, patient: str) -> bool:
        until = self._until()
        old = self._call("delete_item", until, Key={"pk": _pk(caregiver), "sk": {"S": SHARE_PATIENT + patient}},
                         ReturnValues="ALL_OLD").get("Attributes")
        self._call("delete_item", until, Key={"pk": _pk(patient), "sk": {"S": SHARE_CARE + caregiver}})
        # The report links this caregiver minted for this patient die with the link.
        minted = [i for i in self._query_all(until, _pk(caregiver), SHARE_MINTED, projection=HALVES)
                  if i.get("patient", {}).get("S") == patient]
        self._delete_keys([k for i in minted for k in (*_other_half(caregiver, i), {"pk": i["pk"], "sk": i["sk"]})], until)
        return old is not None

    def revoke_sharing(self, patient: str) -> int:
        until = self._until()
        items = [i for i in self._query_all(until, _pk(patient), SHARE, projection=HALVES)
                 if not i["sk"]["S"].startswith((SHARE_PATIENT, SHARE_LINKFAIL, SHARE_MINTED, SHARE_ENDED))]  # not as a caregiver
        self._tell_ended([i for i in items if i["sk"]["S"].startswith(SHARE_CARE)], until)
        keys = [k for i in items for k in _other_half(patient, i)]  # other halves first
        keys += [{"pk": i["pk"], "sk": i["sk"]} for i in items]
        self._delete_keys(keys, until)
        return len(items)

    def _tell_ended(self, links: list[dict[str, Any]], until: float) -> None:
        """A notice under each caregiver of `links` (the patient's halves) that the link ended, before
        the links go: if this stops part way, the links are still there and a retry tells again."""
        stamp = self.now().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        for n, item in enumerate(links):
            caregiver = item["sk"]["S"][len(SHARE_CARE):]
            self._call("put_item", until, Item={
                "pk": _pk(caregiver), "sk": {"S": f"{SHARE_ENDED}{stamp}#{n:03d}"},
                "label": {"S": item.get("label", {}).get("S", "")}, "expires_at": self._expires()})

    def relabel(self, patient: str, label: str) -> int:
        """Each item that carries the label: both halves of every link, and the code and token items
        the patient's pointers name. Each update only touches an item that still exists."""
        until = self._until()
        items = self._query_all(until, _pk(patient), SHARE, projection=HALVES)
        keys: list[dict[str, Any]] = []
        linked = 0
        for item in items:
            sk = item["sk"]["S"]
            if sk.startswith(SHARE_CARE):
                linked += 1
                keys += [{"pk": item["pk"], "sk": item["sk"]}, *_other_half(patient, item)]
            elif sk.startswith((SHARE_CODE, SHARE_TOKEN)):
                keys += _other_half(patient, item)[:1]  # the CODE# or TOKEN# item itself
        for key in keys:
            try:
                self._call("update_item", until, Key=key, UpdateExpression="SET label = :l",
                           ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":l": {"S": label}})
            except ClientError as e:
                if not _conditional_failed(e):
                    raise
        return linked

    def caregiver_links(self, caregiver: str) -> tuple[list[Link], list[str]]:
        """One Query over the sort keys from SHARE#ENDED# through every SHARE#PATIENT#… ('$' sorts
        right after '#'; the few LINKFAIL and MINTED items between them are left out here)."""
        items = self._live(self._query_all(self._until(), _pk(caregiver),
                                           between=(SHARE_ENDED, SHARE_PATIENT[:-1] + "$")))
        return _care(caregiver, items)

    def forget_ended(self, caregiver: str) -> None:
        until = self._until()
        items = self._query_all(until, _pk(caregiver), SHARE_ENDED, projection="pk, sk")
        self._delete_keys([{"pk": i["pk"], "sk": i["sk"]} for i in items], until)

    def report_links(self, patient: str, now: datetime) -> int:
        until = self._until()
        pointers = self._query_all(until, _pk(patient), SHARE_TOKEN)
        linked = {link.caregiver for link in self.links_of_patient(patient)}
        moment = int(now.timestamp())
        return sum(1 for i in pointers if int(i["expires_at"]["N"]) > moment
                   and ("caregiver" not in i or i["caregiver"]["S"] in linked))

    def save_report_token(self, token_hash: str, patient: str, label: str, expires: datetime,
                          caregiver: str | None = None, keep: int = 3) -> None:
        until = self._until()
        dropped: list[dict[str, Any]] = []
        seq = 0
        if caregiver is not None:  # only the caregiver's `keep` newest links stay: the oldest go in the same transaction
            minted = self._query_all(until, _pk(caregiver), SHARE_MINTED)
            seq = 1 + max((int(i.get("seq", {}).get("N", 0)) for i in minted), default=0)
            live = sorted(self._live(minted), key=lambda i: int(i.get("seq", {}).get("N", 0)))
            for i in live[: max(0, len(live) - max(1, keep) + 1)][:30]:
                dropped += [{"Delete": {"Key": k}} for k in (*_other_half(caregiver, i), {"pk": i["pk"], "sk": i["sk"]})]
        self._save_secret(TOKEN, "TOKEN", SHARE_TOKEN, token_hash, patient, label, expires, until=until,
                          caregiver=caregiver, more=dropped, seq=seq)

    def report_access(self, token_hash: str, now: datetime) -> ReportAccess | None:
        until = self._until()
        key = {"pk": {"S": TOKEN + token_hash}, "sk": {"S": "TOKEN"}}
        item = self._call("get_item", until, Key=key, ConsistentRead=True).get("Item")
        # TTL deletes lazily (up to days late): expiry is checked here, not left to TTL.
        if item is None or int(item["expires_at"]["N"]) <= int(now.timestamp()):
            return None
        if "caregiver" in item:  # minted by a caregiver: it works only while they are linked
            link = self._call("get_item", until, ConsistentRead=True, Key={
                "pk": _pk(item["patient"]["S"]), "sk": {"S": SHARE_CARE + item["caregiver"]["S"]}}).get("Item")
            if link is None or not self._live([link]):
                return None
        expires = datetime.fromtimestamp(int(item["expires_at"]["N"]), timezone.utc)
        return ReportAccess(item["patient"]["S"], item["label"]["S"], expires)


    # --- caregiver alerts ------------------------------------------------------------
    def set_alerts(self, caregiver: str, to: str | None, endpoint: str | None = None) -> int:
        """Both halves of each of the caregiver's links; an update only touches an item that exists."""
        until = self._until()
        halves = self._query_all(until, _pk(caregiver), SHARE_PATIENT, projection="pk, sk")
        if to:
            values: dict[str, Any] = {":t": {"S": to}}
            sets, removes = ["alert_to = :t"], ["alert_endpoint"]
            if endpoint:
                values[":e"], sets, removes = {"S": endpoint}, [*sets, "alert_endpoint = :e"], []
            mine = _update(sets, removes, values)
            # The patient's half is also what the alerting index lists.
            theirs = _update([*sets, f"{ALERTING} = :one"], removes, {**values, ":one": {"S": "1"}})
        else:
            mine = _update([], ["alert_to", "alert_endpoint"], {})
            theirs = _update([], ["alert_to", "alert_endpoint", ALERTING], {})
        carried = 0
        for item in halves:
            for key, update in (({"pk": item["pk"], "sk": item["sk"]}, mine), (_other_half(caregiver, item)[0], theirs)):
                try:
                    self._call("update_item", until, Key=key, ConditionExpression="attribute_exists(pk)", **update)
                except ClientError as e:
                    if not _conditional_failed(e):
                        raise
            carried += 1
        return carried

    def alerting_patients(self) -> list[str]:
        """One Query of the sparse alerting index (all pages); a patient with two such caregivers once."""
        items = self._pages(self._until(), IndexName=ALERTING, KeyConditionExpression="#a = :one",
                            ExpressionAttributeNames={"#a": ALERTING}, ExpressionAttributeValues={":one": {"S": "1"}})
        return sorted({i["pk"]["S"][len("USER#"):] for i in items})

    def queue_alert(self, patient: str, kind: str, day: date, now: datetime) -> bool:
        moment = int(now.timestamp())
        try:
            self._call("put_item", self._until(), Item={
                **_alert_key(patient, day, kind), "patient": {"S": patient}, "kind": {"S": kind}, "day": {"S": day.isoformat()},
                "queued": {"S": now.astimezone(timezone.utc).isoformat()},
                "expires_at": {"N": str(moment + ALERT_KEPT_SECONDS)},
            }, ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(moment)}})
        except ClientError as e:
            if _conditional_failed(e):
                return False
            raise
        return True

    def alerts_due(self, now: datetime, since: datetime) -> list[Alert]:
        items = self._live(self._query_all(self._until(), {"S": ALERTQ}))
        due = [alert_of(i) for i in items if "done" not in i]
        return sorted((a for a in due if a.queued > since), key=lambda a: a.queued)[:100]

    def patient_alerts(self, patient: str, since: date) -> list[Alert]:
        items = self._live(self._query_all(self._until(), {"S": ALERTQ}, f"{patient}#"))
        return sorted((a for a in map(alert_of, items) if a.day >= since), key=lambda a: (a.day, a.queued))

    def mark_alert(self, alert: Alert, caregiver: str, sent: bool) -> bool:
        key = _alert_key(alert.patient, alert.day, alert.kind)
        values = {":c": {"SS": [caregiver]}, ":one": {"S": caregiver}}
        try:
            if sent:
                self._call("update_item", self._until(), Key=key, UpdateExpression="ADD sent :c",
                           ConditionExpression="attribute_exists(pk) AND NOT contains(sent, :one)",
                           ExpressionAttributeValues=values)
            else:
                self._call("update_item", self._until(), Key=key, UpdateExpression="DELETE sent :c",
                           ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":c": values[":c"]})
        except ClientError as e:
            if _conditional_failed(e):
                return False
            raise
        return True

    def finish_alert(self, alert: Alert) -> None:
        key = _alert_key(alert.patient, alert.day, alert.kind)
        try:
            self._call("update_item", self._until(), Key=key, UpdateExpression="SET done = :t",
                       ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":t": {"BOOL": True}})
        except ClientError as e:
            if not _conditional_failed(e):
                raise


def _update(sets: list[str], removes: list[str], values: dict[str, Any]) -> dict[str, Any]:
    """UpdateItem's expression arguments for these SET and REMOVE clauses."""
    clauses = ([f"SET {', '.join(sets)}"] if sets else []) + ([f"REMOVE {', '.join(removes)}"] if removes else [])
    return {"UpdateExpression": " ".join(clauses), **({"ExpressionAttributeValues": values} if values else {})}


def _record(items: list[dict[str, Any]]) -> UserRecord:
    """The profile and check-ins among a user's items."""
    profile = next((i for i in items if i["sk"]["S"] == PROFILE), None)
    return UserRecord(profile=_profile(profile), checkins=tuple(_checkin(i) for i in items if i["sk"]["S"].startswith(CHECKIN)))


def _care(caregiver: str, items: list[dict[str, Any]]) -> tuple[list[Link], list[str]]:
    """The caregiver's live links, oldest first, and ended-link notices, among their items."""
    links = [_link(i["sk"]["S"][len(SHARE_PATIENT):], caregiver, i) for i in items if i["sk"]["S"].startswith(SHARE_PATIENT)]
    ended = [i["label"]["S"] for i in items if i["sk"]["S"].startswith(SHARE_ENDED) and i.get("label", {}).get("S")]
    return _oldest_first(links), ended


def _alert_key(patient: str, day: date, kind: str) -> dict[str, Any]:
    """A queued alert's key: under ALERTQ, sorted by patient (so a patient's are one Query)."""
    return {"pk": {"S": ALERTQ}, "sk": {"S": f"{patient}#{day.isoformat()}#{kind}"}}


def alert_of(item: dict[str, Any]) -> Alert:
    """A queued alert from its item, as a Query or the table's stream (NewImage) gives it."""
    return Alert(item["patient"]["S"], item["kind"]["S"], date.fromisoformat(item["day"]["S"]),
                 datetime.fromisoformat(item["queued"]["S"]), frozenset(item.get("sent", {}).get("SS", [])))


def _other_half(user: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The items that mirror a share item under other keys: deleted together with it."""
    sk = item["sk"]["S"]
    if sk.startswith(SHARE_CARE):
        return [{"pk": _pk(sk[len(SHARE_CARE):]), "sk": {"S": SHARE_PATIENT + user}}]
    if sk.startswith(SHARE_PATIENT):
        return [{"pk": _pk(sk[len(SHARE_PATIENT):]), "sk": {"S": SHARE_CARE + user}}]
    if sk.startswith(SHARE_CODE):
        return [{"pk": {"S": CODE + sk[len(SHARE_CODE):]}, "sk": {"S": "CODE"}}]
    if sk.startswith(SHARE_TOKEN):
        digest = sk[len(SHARE_TOKEN):]
        minter = item.get("caregiver", {}).get("S")
        return [{"pk": {"S": TOKEN + digest}, "sk": {"S": "TOKEN"}},
                *([{"pk": _pk(minter), "sk": {"S": SHARE_MINTED + digest}}] if minter else [])]
    if sk.startswith(SHARE_MINTED):
        digest, patient = sk[len(SHARE_MINTED):], item.get("patient", {}).get("S")
        return [{"pk": {"S": TOKEN + digest}, "sk": {"S": "TOKEN"}},
                *([{"pk": _pk(patient), "sk": {"S": SHARE_TOKEN + digest}}] if patient else [])]
    return []


def _hour(moment: datetime) -> str:
    """The fixed one-hour window a link attempt counts in (UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H")


def _oldest_first(links: list[Link]) -> list[Link]:
    return sorted(links, key=lambda link: (link.since, link.label))


def _link(patient: str, caregiver: str, item: dict[str, Any]) -> Link:
    return Link(patient, caregiver, item["label"]["S"], datetime.fromisoformat(item["since"]["S"]),
                item.get("alert_to", {}).get("S"), item.get("alert_endpoint", {}).get("S"))


def _profile(item: dict[str, Any] | None) -> Profile:
    if not item:
        return Profile()
    return Profile.from_dict(
        {
            "disclaimer_heard": item.get("disclaimer_heard", {}).get("BOOL", False),
            **{name: item[name]["S"] for name in ("procedure_date", "reminder_id", "reminder_time", "care_seen")
               if name in item},
        }
    )


def _checkin(item: dict[str, Any]) -> Checkin:
    took = item.get("took_meds", {}).get("BOOL")
    history = tuple(
        {"score": int(h["M"]["score"]["N"]), "at": h["M"].get("at", {}).get("S")} for h in item.get("history", {}).get("L", [])
    )
    return Checkin(date.fromisoformat(item["sk"]["S"][len(CHECKIN) :]), int(item["score"]["N"]), took, history)
