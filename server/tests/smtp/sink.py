"""A real SMTP server on loopback for the delivery tests (Debian's python3-aiosmtpd).

    python3 sink.py --port PORT --out DIR [--refuse-first N]

Answers `451` to the first N RCPT commands (a temporary refusal), `550` to any recipient whose
address contains "reject" (a permanent one), and accepts everything else. Each accepted message is
written to DIR as <n>.eml (as received) and <n>.json (envelope, headers and the decoded MIME parts),
so the Rust tests need no MIME parser. Prints "ready" once it listens.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, refuse_first):
        self.out = out
        self.refusals_left = refuse_first
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 No such mailbox here"
        with self.lock:
            if self.refusals_left > 0:
                self.refusals_left -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({"content_type": part.get_content_type(), "body": part.get_content()})
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in message.items()},
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        base = os.path.join(self.out, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        # Written last and renamed into place: a reader never sees half a record.
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--refuse-first", type=int, default=0)
    args = parser.parse_args()
    controller = Controller(
        Sink(args.out, args.refuse_first), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
