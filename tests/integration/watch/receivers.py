"""A local webhook receiver for the drift watch's tests: HTTPS on loopback, checking every
call's signature with the receiver-side function (``webhook_signature_valid``)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from checks.engine.drift import webhook_signature_valid
from tests.probe_servers import LocalCA, TargetServer, _Handler, serve


@dataclass(frozen=True)
class Delivery:
    body: dict
    signature_valid: bool
    headers: dict[str, str]


class ReceiverHandler(_Handler):
    """POST: verify the signature with ``config["secret"]``, record it, answer the next of
    ``config["statuses"]`` (200 once they run out)."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        config = self.server.config
        valid = webhook_signature_valid(
            config["secret"].encode(),
            body,
            self.headers.get("ScaleReady-Signature", ""),
            int(time.time()),
        )
        config["deliveries"].append(Delivery(json.loads(body), valid, dict(self.headers.items())))
        status = config["statuses"].pop(0) if config["statuses"] else 200
        self.respond(status, "ok\n", {"Content-Type": "text/plain"})

    def route(self) -> None:
        self.respond(405, "POST only\n")


@contextlib.contextmanager
def webhook_receiver(ca: LocalCA, statuses: tuple[int, ...] = ()) -> Iterator[TargetServer]:
    """Set ``receiver.config["secret"]`` once the watch has one; read ``config["deliveries"]``."""
    with serve(
        ReceiverHandler,
        ca.server_context(),
        secret="",
        statuses=list(statuses),
        deliveries=[],
    ) as receiver:
        yield receiver
