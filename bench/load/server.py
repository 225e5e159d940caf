"""The served skill for the load test: `recovery-coach serve`'s own gunicorn Server and app,
with Alexa verification ON against the test CA (the real Amazon certificate URL can't be
fetched offline, so the chain is read from the file the load script wrote)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from cryptography import x509

from recovery_coach.config import Settings
from recovery_coach.webhook.serve import make_app, serve
from recovery_coach.webhook.verify import Verifier


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--certs", type=Path, required=True, help="folder with root.pem and chain.pem")
    args = p.parse_args()
    settings = Settings.from_env()
    root = x509.load_pem_x509_certificate((args.certs / "root.pem").read_bytes())
    chain = (args.certs / "chain.pem").read_bytes()

    def factory() -> object:
        verifier = Verifier(skill_id=settings.skill_id or "", trust_roots=[root], fetch=lambda url, timeout: chain)
        return make_app(settings, verifier)

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    serve(settings, "127.0.0.1", args.port, args.workers, args.connections, factory=factory)


if __name__ == "__main__":
    main()
