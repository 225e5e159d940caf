"""Configuration, read from the environment in one place."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo


def _data_home(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "recovery-coach"


def _share_secret(env: Mapping[str, str]) -> str:
    """SHARE_SECRET itself, else the secret SHARE_SECRET_ID names (Secrets Manager, read through the
    Lambda extension), else, on a laptop only, the local default. A secret that can't be read, or none
    configured in AWS Lambda (where the public default would let anyone who reads the table reverse a
    live code), leaves it empty: sharing codes then can't be made or claimed (the skill says so), and
    every other turn, the safety screen first, works as before."""
    if value := env.get("SHARE_SECRET", "").strip():
        return value
    secret_id = env.get("SHARE_SECRET_ID", "").strip()
    if not secret_id:
        if env.get("AWS_LAMBDA_FUNCTION_NAME", "").strip():
            logging.getLogger("recovery_coach").warning(
                '{"event": "share_secret_missing", "reason": "neither SHARE_SECRET nor SHARE_SECRET_ID is set"}')
            return ""
        return Settings.share_secret
    from recovery_coach.secret_store import SecretUnavailable, read_secret  # only where it is configured

    try:
        return read_secret(secret_id, env)
    except SecretUnavailable as e:
        logging.getLogger("recovery_coach").warning('{"event": "share_secret_unavailable", "reason": "%s"}', e)
        return ""


def _lwa_client_secret(env: Mapping[str, str]) -> str:
    """LWA_CLIENT_SECRET itself, else the secret LWA_SECRET_ID names (Secrets Manager, through the
    Lambda extension, as for SHARE_SECRET), else empty. Empty leaves caregiver alerts off; nothing
    else depends on it."""
    if value := env.get("LWA_CLIENT_SECRET", "").strip():
        return value
    secret_id = env.get("LWA_SECRET_ID", "").strip()
    if not secret_id:
        return ""
    from recovery_coach.secret_store import SecretUnavailable, read_secret  # only where it is configured

    try:
        return read_secret(secret_id, env)
    except SecretUnavailable as e:
        logging.getLogger("recovery_coach").warning('{"event": "lwa_secret_unavailable", "reason": "%s"}', e)
        return ""


PROACTIVE_STAGES = frozenset({"development", "live"})


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    """Everything the skill can be configured with. Build it with `from_env`."""

    skill_id: str | None = None
    table_name: str | None = None
    dynamodb_endpoint: str | None = None
    sqlite_path: Path = Path("recovery.sqlite3")
    clinic_file: Path | None = None
    default_timezone: str = "America/Chicago"
    retention_days: int = 365
    # Check-in warnings (issue: thresholds live in configuration).
    warn_score: int = 7
    warn_rise: int = 2
    relief_days: int = 2
    # Alexa Settings API: a slow answer must not cost the user a save.
    settings_api_timeout: float = 1.0
    # DynamoDB: bounded retries, well inside Alexa's 8 s.
    dynamodb_attempts: int = 3
    dynamodb_timeout: float = 1.0
    dynamodb_deadline: float = 3.0
    dynamodb_client: str = "auto"  # "auto": the small SigV4 client when credentials are in the environment
    log_level: str = "INFO"
    # The self-hosted webhook (recovery-coach serve).
    alexa_route: str = "/"
    verify_requests: bool = True
    max_body_bytes: int = 128 * 1024
    cert_fetch_timeout: float = 2.0
    header_timeout: float = 5.0  # a request's line and headers, from when the connection is ready for them
    body_timeout: float = 5.0  # its body, from when the headers have arrived
    # Sharing with caregivers.
    share_secret: str = "recovery-coach-local"
    share_secret_id: str = ""  # Secrets Manager's id of the key: asked again later if it couldn't be read
    share_code_hours: int = 24
    report_token_days: int = 7
    link_attempts_per_hour: int = 5  # wrong codes per caregiver account, per hour
    link_failures_per_hour_all: int = 20  # wrong codes of all accounts together an hour: then a code needs its name
    link_failures_per_hour_paused: int = 500  # ... and past this many, linking pauses for the hour
    report_links_per_caregiver: int = 3  # live report links a caregiver can hold; a new one replaces the oldest
    report_base_url: str = "http://127.0.0.1:8080"
    # Everything one turn waits on (time zone, store calls), well inside Alexa's 8 s.
    request_budget: float = 5.0
    # Caregiver alerts (Proactive Events, AMAZON.MessageAlert.Activated): the skill's own Login with
    # Amazon client, from the developer console's Permissions page. No client id or secret: alerts off.
    lwa_client_id: str | None = None
    lwa_client_secret: str = field(default="", repr=False)
    lwa_token_url: str = "https://api.amazon.com/auth/o2/token"
    proactive_endpoint: str = "https://api.amazonalexa.com"
    proactive_stage: str = "development"  # "live" only once Amazon has certified the skill
    alert_expiry_hours: int = 24  # Amazon keeps an event at most 24 hours
    alert_timeout: float = 3.0  # one alert, token and retries included
    missed_days_alert: int = 2  # whole days without a check-in before caregivers are alerted

    @property
    def uses_dynamodb(self) -> bool:
        return bool(self.table_name or self.dynamodb_endpoint)

    def __post_init__(self) -> None:
        ZoneInfo(self.default_timezone)  # a typo in DEFAULT_TIMEZONE fails at start-up, not mid-turn
        if self.proactive_stage not in PROACTIVE_STAGES:
            raise ValueError(f"PROACTIVE_STAGE must be one of {sorted(PROACTIVE_STAGES)}, got {self.proactive_stage!r}")
        if not 1 <= self.alert_expiry_hours <= 24:
            raise ValueError(f"ALERT_EXPIRY_HOURS must be 1 to 24 (Amazon's limit), got {self.alert_expiry_hours!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        clinic = env.get("CLINIC_FILE", "").strip()
        return cls(
            skill_id=env.get("SKILL_ID", "").strip() or None,
            table_name=env.get("TABLE_NAME", "").strip() or None,
            dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT", "").strip() or None,
            sqlite_path=Path(env.get("RECOVERY_COACH_DB", "").strip() or _data_home(env) / "recovery.sqlite3"),
            clinic_file=Path(clinic) if clinic else None,
            default_timezone=env.get("DEFAULT_TIMEZONE", "").strip() or cls.default_timezone,
            retention_days=_int(env, "RETENTION_DAYS", cls.retention_days),
            warn_score=_int(env, "WARN_SCORE", cls.warn_score),
            warn_rise=_int(env, "WARN_RISE", cls.warn_rise),
            relief_days=_int(env, "RELIEF_DAYS", cls.relief_days),
            settings_api_timeout=_float(env, "SETTINGS_API_TIMEOUT", cls.settings_api_timeout),
            dynamodb_attempts=_int(env, "DYNAMODB_ATTEMPTS", cls.dynamodb_attempts),
            dynamodb_timeout=_float(env, "DYNAMODB_TIMEOUT", cls.dynamodb_timeout),
            dynamodb_deadline=_float(env, "DYNAMODB_DEADLINE", cls.dynamodb_deadline),
            dynamodb_client=env.get("DYNAMODB_CLIENT", "").strip().lower() or cls.dynamodb_client,
            log_level=env.get("LOG_LEVEL", "").strip().upper() or cls.log_level,
            request_budget=_float(env, "REQUEST_BUDGET", cls.request_budget),
            share_secret=_share_secret(env),
            share_secret_id=env.get("SHARE_SECRET_ID", "").strip(),
            share_code_hours=_int(env, "SHARE_CODE_HOURS", cls.share_code_hours),
            report_token_days=_int(env, "REPORT_TOKEN_DAYS", cls.report_token_days),
            link_attempts_per_hour=_int(env, "LINK_ATTEMPTS_PER_HOUR", cls.link_attempts_per_hour),
            link_failures_per_hour_all=_int(env, "LINK_FAILURES_PER_HOUR_ALL", cls.link_failures_per_hour_all),
            link_failures_per_hour_paused=_int(env, "LINK_FAILURES_PER_HOUR_PAUSED", cls.link_failures_per_hour_paused),
            report_links_per_caregiver=_int(env, "REPORT_LINKS_PER_CAREGIVER", cls.report_links_per_caregiver),
            report_base_url=(env.get("REPORT_BASE_URL", "").strip() or cls.report_base_url).rstrip("/"),
            alexa_route=env.get("ALEXA_ROUTE", "").strip() or cls.alexa_route,
            verify_requests=env.get("ALEXA_VERIFY", "on").strip().lower() not in ("off", "0", "false", "no"),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes),
            cert_fetch_timeout=_float(env, "CERT_FETCH_TIMEOUT", cls.cert_fetch_timeout),
            header_timeout=_float(env, "HEADER_TIMEOUT", cls.header_timeout),
            body_timeout=_float(env, "BODY_TIMEOUT", cls.body_timeout),
            lwa_client_id=env.get("LWA_CLIENT_ID", "").strip() or None,
            lwa_client_secret=_lwa_client_secret(env),
            lwa_token_url=env.get("LWA_TOKEN_URL", "").strip() or cls.lwa_token_url,
            proactive_endpoint=(env.get("PROACTIVE_ENDPOINT", "").strip() or cls.proactive_endpoint).rstrip("/"),
            proactive_stage=env.get("PROACTIVE_STAGE", "").strip().lower() or cls.proactive_stage,
            alert_expiry_hours=_int(env, "ALERT_EXPIRY_HOURS", cls.alert_expiry_hours),
            alert_timeout=_float(env, "ALERT_TIMEOUT", cls.alert_timeout),
            missed_days_alert=_int(env, "MISSED_DAYS_ALERT", cls.missed_days_alert),
        )
