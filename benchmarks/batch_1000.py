"""Batch diagnosis of 1,000 accounts against loopback servers: wall time, RSS, open fds.

    python benchmarks/batch_1000.py [--rows 1000] [--hosts 3] [--dns static|loopback]

The SMTP server (aiosmtpd, STARTTLS, a throw-away CA) runs in a child process, so the
figures are the batch engine's own: the measuring process holds only client sockets.
Every account signs in for real (probe of 587, STARTTLS, AUTH PLAIN, MAIL/RCPT/RSET).
Rows name ``--hosts`` host names, all resolving to 127.0.0.1 (so the per-host limit
applies per name); ``--dns loopback`` asks a real UDP DNS server on loopback instead of
an in-process table. Nothing leaves 127.0.0.1. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import resource
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DOMAIN = "emaildiag.test"
USER, PASSWORD = f"alice@{DOMAIN}", "Bench-Password-1"


def _zone(hosts: list[str], q: str = "") -> dict[tuple[str, str], list[str]]:
    """The DNS data; ``q='"'`` quotes TXT strings as zone-file text (for the DNS server)."""
    zone = {(h, "A"): ["127.0.0.1"] for h in hosts}
    zone[(DOMAIN, "MX")] = [f"10 {hosts[0]}."]
    zone[(DOMAIN, "TXT")] = [f"{q}v=spf1 mx -all{q}"]
    zone[(f"_dmarc.{DOMAIN}", "TXT")] = [f"{q}v=DMARC1; p=reject{q}"]
    return zone


def serve(conn: Connection, hosts: list[str], dns: bool) -> None:
    """The child: one SMTP server (and a DNS server), until the parent says stop."""
    from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
    from emaildiag.testing.dns import LoopbackDnsServer

    with TestPKI(hostname=f"*.{DOMAIN}") as pki:
        spec = ServerSpec(mode="starttls", users={USER: PASSWORD})
        with (
            SmtpTestServer(spec, pki) as smtp,
            LoopbackDnsServer(_zone(hosts, q='"')) as dns_server,
        ):
            conn.send((smtp.port, str(pki.ca_file), dns_server.address if dns else None))
            conn.recv()
            conn.send(smtp.sessions)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--dns", choices=("static", "loopback"), default="static")
    parser.add_argument(
        "--api", choices=("rows", "frame"), default="rows", help="diagnose_rows or diagnose_many"
    )
    args = parser.parse_args()

    from emaildiag.batch import diagnose_many, diagnose_rows
    from emaildiag.checks.dns import StaticResolver

    hosts = [f"mail{i}.{DOMAIN}" for i in range(1, args.hosts + 1)]
    parent, child = mp.get_context("spawn").Pipe()
    server = mp.get_context("spawn").Process(
        target=serve, args=(child, hosts, args.dns == "loopback"), daemon=True
    )
    server.start()
    smtp_port, ca_file, dns_address = parent.recv()
    os.environ["BENCH_PW"] = PASSWORD
    options: dict[str, Any] = {
        "ports": [587],
        "port_map": {587: smtp_port},
        "ca_file": ca_file,
        "timeout": 30.0,
    }
    if dns_address:
        options["dns_server"] = dns_address
    else:
        options["resolver"] = StaticResolver(_zone(hosts))
    rows = [
        {
            "label": f"account-{i:04d}",
            "host": hosts[i % len(hosts)],
            "port": "587",
            "username": USER,
            "password_env": "BENCH_PW",
        }
        for i in range(args.rows)
    ]
    diagnose_rows(rows[:2], progress=False, **options)  # warm-up: imports, first handshakes

    peak_fds, stop = [open_fds()], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak_fds.append(open_fds())

    sampler = threading.Thread(target=sample, daemon=True)
    fds_before = open_fds()
    sampler.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    run = diagnose_rows if args.api == "rows" else diagnose_many
    out = run(rows, concurrency=args.concurrency, per_host=args.per_host, progress=False, **options)
    results = out if isinstance(out, list) else out.astype(object).to_dict("records")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    stop.set()
    sampler.join()
    fds_after = open_fds()
    gc.collect()  # TLS sockets still shutting down when the loop ended are freed by GC
    fds_after_gc = open_fds()
    parent.send("stop")
    sessions = parent.recv()
    server.join(5)
    verdicts: dict[str, int] = {}
    for r in results:
        key = "not diagnosed" if isinstance(r["error"], str) else f"{r['verdict']}/{r['auth']}"
        verdicts[key] = verdicts.get(key, 0) + 1
    print(
        json.dumps(
            {
                "rows": len(results),
                "hosts": len(hosts),
                "dns": args.dns,
                "api": args.api,
                "concurrency": args.concurrency,
                "per_host": args.per_host,
                "cpus": os.cpu_count(),
                "wall_s": round(wall, 2),
                "accounts_per_s": round(len(results) / wall, 1),
                "client_cpu_s": round(cpu, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "fds_before": fds_before,
                "fds_peak": max(peak_fds),
                "fds_after": fds_after,
                "fds_after_gc": fds_after_gc,
                "server_sessions": sessions,
                "outcomes": verdicts,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
