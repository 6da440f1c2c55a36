"""The inference pipeline's last steps, in the order that keeps what was published recorded (issue
26 defect 2): check the payload (an invalid one fails before anything is recorded), record it (the
`signal_ledger` save: a ledger that cannot be written fails the run before anything is published),
then publish. A crash between the two leaves a recorded payload that was never published, never the
reverse.
"""

from __future__ import annotations

import logging

from aegismatrix.payload.publish import (
    OlderPayloadRefused,
    PayloadValidationError,
    validate_payload,
)

from . import nodes

logger = logging.getLogger(__name__)


def check_for_publishing(payload: dict) -> dict:
    """The payload as it will be published (its assembly marked non-finite numbers unavailable,
    once), validated against the contract before the ledger records it."""
    try:
        validate_payload(payload)
    except PayloadValidationError as error:
        logger.error("aegismatrix.json NOT published and nothing recorded; the last good payload "
                     "stays: %s", error)
        raise
    return payload


def publish_recorded(payload: dict, recorded: dict, params: dict) -> dict:
    """Publish once the ledger holds the payload (`recorded`: the ledger node's receipt); a payload
    older than the published one is refused with a warning (it stays recorded)."""
    try:
        return nodes.publish(payload, params, validated=True)  # check_for_publishing validated it
    except OlderPayloadRefused as refused:
        logger.warning("%s; its signals are recorded in the ledger (run %s, kind %s)", refused,
                       recorded["run_id"], recorded["kind"])
        return payload
