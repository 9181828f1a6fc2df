"""A real SMTP server for the tests (PyPI aiosmtpd, pinned in requirements.txt): every accepted
message is written to OUT_DIR as NNNN.json (envelope recipients and the decoded From, To,
Subject, Message-ID and text body, as Python's own e-mail parser reads them); the first FAIL_FIRST
deliveries are refused with 451 (a temporary failure), so that retries can be tested.

Usage: python3 sink.py PORT OUT_DIR [FAIL_FIRST]
Prints "ready" once it listens; exits when its standard input closes.
"""

import json
import os
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir: str, fail_first: int) -> None:
        self.out_dir = out_dir
        self.fail_left = fail_first
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 temporarily unavailable (test)"
        self.count += 1
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "envelope_to": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "body": body.get_content() if body is not None else "",
        }
        path = os.path.join(self.out_dir, f"{self.count:04d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 OK"


def main() -> None:
    port, out_dir = int(sys.argv[1]), sys.argv[2]
    fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    controller = Controller(Sink(out_dir, fail_first), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the test process closes our input
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
