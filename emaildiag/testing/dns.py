"""A small authoritative DNS server on loopback, for tests that need real DNS packets.

dnsmasq cannot answer SERVFAIL or REFUSED on demand, or stay silent for one name; this
server can. Answers come from a zone table; names under ``servfail.``, ``refused.`` and
``timeout.`` (as the left-most label) get that rcode, or no reply at all; names under
``trunc.`` get an empty answer with the TC bit set, and nothing answers on TCP (the port
is held without listening), as when a firewall lets only UDP through.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Mapping, Sequence

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

BEHAVIOURS = {"servfail": dns.rcode.SERVFAIL, "refused": dns.rcode.REFUSED}


class LoopbackDnsServer:
    """UDP DNS server in a thread. ``zone`` maps ``(name, rdtype)`` to answer texts.

    A name that appears in the zone with another type answers NOERROR with no data;
    a name absent from the zone answers NXDOMAIN.
    """

    def __init__(
        self, zone: Mapping[tuple[str, str], Sequence[str]], host: str = "127.0.0.1"
    ) -> None:
        if host not in ("127.0.0.1", "::1"):
            raise ValueError("the test DNS server binds loopback only")
        self.zone = {(n.rstrip(".").lower(), t.upper()): list(v) for (n, t), v in zone.items()}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.bind((host, 0))
        self._sock.settimeout(0.2)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        # Same port on TCP, bound but never listening: a TCP retry is refused at once.
        self._tcp = socket.socket(family, socket.SOCK_STREAM)
        with contextlib.suppress(OSError):  # another program holds it: still no DNS there
            self._tcp.bind((host, self.port))
        self.queries: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="loopback-dns", daemon=True)

    @property
    def address(self) -> str:
        """``IP:PORT`` as ``--dns-server`` takes it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def __enter__(self) -> LoopbackDnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
        self._tcp.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            reply = self._answer(data)
            if reply is not None:
                self._sock.sendto(reply, peer)

    def _answer(self, data: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - garbage in, no answer out
            return None
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        response = dns.message.make_response(query)
        first = name.split(".", 1)[0]
        if first == "timeout":
            return None
        if first in BEHAVIOURS:
            response.set_rcode(BEHAVIOURS[first])
        elif first == "trunc":
            response.flags |= dns.flags.TC
        else:
            name = self._chase(response, name, rdtype)
            if (name, rdtype) in self.zone:
                response.answer.append(self._rrset(name, rdtype))
            elif not any(n == name for n, _ in self.zone):
                response.set_rcode(dns.rcode.NXDOMAIN)
        response.flags |= dns.flags.AA
        return response.to_wire()

    def _chase(self, response: dns.message.Message, name: str, rdtype: str) -> str:
        """Follow CNAMEs inside the zone as a resolver would, adding each to the answer;
        a loop is answered with each of its links once, as an authoritative server does."""
        seen: set[str] = set()
        for _ in range(8):
            if rdtype == "CNAME" or (name, "CNAME") not in self.zone or name in seen:
                break
            seen.add(name)
            response.answer.append(self._rrset(name, "CNAME"))
            name = self.zone[(name, "CNAME")][0].rstrip(".").lower()
        return name

    def _rrset(self, name: str, rdtype: str) -> dns.rrset.RRset:
        return dns.rrset.from_text_list(
            dns.name.from_text(name), 300, dns.rdataclass.IN, rdtype, self.zone[(name, rdtype)]
        )
