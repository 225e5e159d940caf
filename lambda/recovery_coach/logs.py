"""Log levels: LOG_LEVEL is for the skill's own loggers only.

botocore logs whole request and response bodies at DEBUG (scores, labels, hashed keys), urllib3
and the ASK SDK log what they send; none of that may reach a log at any level. So the libraries'
loggers stay at WARNING whatever LOG_LEVEL, or the root logger (Lambda's AWS_LAMBDA_LOG_LEVEL,
`serve`'s basicConfig), says.
"""
from __future__ import annotations

import logging

LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3", "ask_sdk_core", "ask_sdk_runtime", "ask_sdk_model",
             "gevent", "geventhttpclient", "asyncio", "charset_normalizer")


def configure(level: str) -> None:
    logging.getLogger("recovery_coach").setLevel(level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
