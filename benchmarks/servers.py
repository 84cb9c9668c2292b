"""The benchmark's far end, run as its own process: three loopback SMTP servers behind
latency proxies, plus a port that never answers a connect.

``python benchmarks/servers.py --rtt 0.05 --host mail.bench.test`` prints one JSON line
(proxy ports, CA file, user, password) and serves until its stdin closes. A process of its
own keeps the servers' and the proxy's work off the measured client's interpreter (GIL).

Logical port → server: 25 STARTTLS, 465 implicit TLS, 587 STARTTLS; every server offers
AUTH (after TLS) for the one user, with a certificate for ``--host`` from a throw-away CA.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's emaildiag
sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency_proxy import LatencyProxy

from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.blackhole import BlackholePort

MODES = {25: "starttls", 465: "implicit", 587: "starttls"}


async def serve(args: argparse.Namespace) -> None:
    user = f"bench@{args.host.partition('.')[2] or args.host}"
    password = "bench-" + secrets.token_urlsafe(12)
    with TestPKI(hostname=args.host) as pki, BlackholePort() as filtered:
        servers = {
            port: SmtpTestServer(ServerSpec(mode=mode, users={user: password}), pki).start()  # type: ignore[arg-type]
            for port, mode in MODES.items()
        }
        try:
            proxies = {
                port: await LatencyProxy(server.port, rtt=args.rtt).start()
                for port, server in servers.items()
            }
            info = {
                "host": args.host,
                "user": user,
                "password": password,
                "ca_file": str(pki.ca_file),
                "rtt": args.rtt,
                "proxy": {str(p): proxy.port for p, proxy in proxies.items()},
                "direct": {str(p): s.port for p, s in servers.items()},
                "modes": {str(p): m for p, m in MODES.items()},
                "filtered": filtered,
            }
            print(json.dumps(info), flush=True)
            # serve until the parent closes our stdin
            done = asyncio.Event()
            loop = asyncio.get_running_loop()

            def wait_stdin() -> None:
                sys.stdin.read()
                loop.call_soon_threadsafe(done.set)

            threading.Thread(target=wait_stdin, daemon=True).start()
            await done.wait()
            for proxy in proxies.values():
                await proxy.close()
        finally:
            for server in servers.values():
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rtt", type=float, default=0.05, help="round-trip time, seconds")
    parser.add_argument("--host", default="mail.bench.test")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
