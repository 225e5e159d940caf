"""AWS entry point of the caregiver report: a Lambda Function URL (payload v2) in front of ReportRoutes."""
from __future__ import annotations

from typing import Any

from recovery_coach.config import Settings
from recovery_coach.report.web import ReportRoutes

routes = ReportRoutes(Settings.from_env())  # the store and settings, built once per container


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")
    status, body, ctype, headers = routes.respond(method, event.get("rawPath") or "/")
    return {"statusCode": status, "headers": {**dict(headers), "Content-Type": ctype},
            "body": body.decode("utf-8"), "isBase64Encoded": False}
