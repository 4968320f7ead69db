"""The Python idiom that foundations/logging.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says, including the output its comment shows.
"""

import datetime
import io
import json
import pathlib
import types
from unittest import mock

import structlog

# A configuration a service would use, writing to a buffer instead of stdout.
out = io.StringIO()
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(),
    ],
    logger_factory=structlog.PrintLoggerFactory(out),
)


class FrozenClock(datetime.datetime):
    """TimeStamper reads datetime.datetime.utcnow(); this answers one instant."""

    @classmethod
    def utcnow(cls):
        return cls(2026, 11, 25, 20, 43, 21, 123456)


frozen = types.SimpleNamespace(datetime=FrozenClock)
with mock.patch.object(structlog.processors, "datetime", frozen):
    # [python-idiom]
    log = structlog.get_logger().bind(service="billing")
    with structlog.contextvars.bound_contextvars(request_id=42):
        log.info("payment captured", cents=1999, card="4242")
    # {"service": "billing", "cents": 1999, "card": "4242", "event": "payment captured",
    #  "request_id": 42, "level": "info", "timestamp": "2026-11-25T20:43:21.123456Z"}
    # [python-idiom]

printed = out.getvalue()
assert printed.count("\n") == 1, printed  # one event, one line
record = json.loads(printed)  # valid JSON
assert record["request_id"] == 42 and record["service"] == "billing", record

# The comment in the region is the line the logger wrote, character for character.
source = pathlib.Path(__file__).read_text(encoding="utf-8").splitlines()
start = next(i for i, line in enumerate(source) if line.startswith("    # {"))
shown = " ".join(line.strip().removeprefix("#").strip() for line in source[start:start + 2])
assert shown + "\n" == printed, (shown, printed)

# The contextvars scope ends with the block; the bound field stays with the logger.
log.info("refund issued")
after = json.loads(out.getvalue().splitlines()[1])
assert "request_id" not in after and after["service"] == "billing", after
