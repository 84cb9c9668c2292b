"""The check as people script it by hand: plain ``smtplib``, one port after the other.

``python benchmarks/by_hand_smtplib.py INFO.json`` — for each of 25, 465, 587 in turn:
connect, EHLO, STARTTLS (or TLS from the first byte on 465) verified against the
benchmark's CA, EHLO, login, MAIL FROM, RCPT TO, RSET, QUIT. Prints one JSON line with
the in-process time (``inner_s``) and what each port answered; the caller times the whole
process too, interpreter start included, as a user running a script would wait for it.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import sys
import time
from typing import Any


def check_port(info: dict[str, Any], port: int) -> str:
    context = ssl.create_default_context(cafile=info["ca_file"])
    dial = info["proxy"][str(port)]
    timeout = 10
    if info["modes"][str(port)] == "implicit":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL("127.0.0.1", dial, timeout=timeout, context=context)
        smtp.ehlo()
    else:
        smtp = smtplib.SMTP("127.0.0.1", dial, timeout=timeout)
        smtp.ehlo()
        smtp.starttls(context=context)
        smtp.ehlo()
    try:
        smtp.login(info["user"], info["password"])
        smtp.mail(info["user"])
        code, _ = smtp.rcpt(info["user"])
        smtp.rset()
    finally:
        smtp.quit()
    return f"{port}: rcpt {code}"


def main() -> None:
    with open(sys.argv[1]) as f:
        info = json.load(f)
    t0 = time.perf_counter()
    results = [check_port(info, port) for port in (25, 465, 587)]
    print(json.dumps({"inner_s": time.perf_counter() - t0, "results": results}))


if __name__ == "__main__":
    main()
