"""A small kernel lab: real topologies in network namespaces, real rulesets, real TCP.

nflint predicts what the kernel does with a packet; this lab asks the kernel itself, so tests can
compare the two. Everything happens inside namespaces the lab creates (names
``nfl-<pid>-<lab>-<name>``) and deletes on exit, even when a test fails; the root namespace's
firewall and sysctls are never touched, every subprocess has a timeout and every loop a bound.

Typical use::

    with Lab() as lab:
        a, b = lab.netns("a"), lab.netns("b")
        lab.veth(a, "eth0", b, "eth0")
        a.addr("eth0", "192.0.2.1/24")
        b.addr("eth0", "192.0.2.2/24")
        b.load_iptables("*filter\\n-A INPUT -p tcp --dport 80 -j REJECT "
                        "--reject-with tcp-reset\\nCOMMIT\\n")
        assert lab.tcp_connect(a, b, "192.0.2.2", 80).kind == "refused"
        paste = b.capture_bundle()     # what a user would paste into a support thread

Only the standard library is used, so the lab also runs outside pytest.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = [
    "ALLOWED_NETWORKS", "Background", "Lab", "LabError", "Listener", "Netns", "Outcome",
    "RuleCounter",
    "cleanup_stale", "tcp_connect", "tcp_connect_many", "unavailable_reason",
]

PREFIX = "nfl"
# Documentation/benchmark ranges only (RFC 5737, RFC 2544, RFC 3849): the lab never uses an
# address that could belong to a real network.
ALLOWED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "2001:db8::/32",
))
IPTABLES_BACKENDS = ("nft", "legacy")
OUTCOMES = ("ok", "reset", "refused", "timeout", "unreachable", "closed", "error")
_NAME_RE = re.compile(rf"^{PREFIX}-(\d+)-(\d+)-")
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,15}$")
_MAX_NAMESPACES = 64       # per lab: a runaway test must not fill the machine


class LabError(RuntimeError):
    """A lab command failed; the message carries the command, its exit code and stderr."""


def _check_address(text: str) -> None:
    net = ipaddress.ip_network(text, strict=False)
    if not any(net.version == a.version and net.subnet_of(a) for a in ALLOWED_NETWORKS):
        ranges = ", ".join(str(a) for a in ALLOWED_NETWORKS)
        raise LabError(f"{text} is outside the lab's test ranges ({ranges})")


def _argv(cmd: str | Sequence[str]) -> list[str]:
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def _run(argv: list[str], *, input: str | None = None, check: bool = True,
         timeout: float = 10) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {shlex.join(argv)}") from exc
    except FileNotFoundError as exc:
        raise LabError(f"command not found: {argv[0]}") from exc
    if check and proc.returncode != 0:
        raise LabError(f"exit {proc.returncode}: {shlex.join(argv)}\n{proc.stderr.strip()}")
    return proc


# ---------------------------------------------------------------------------------------------
# Availability and stale namespaces

_unavailable: list[str | None] = []


def unavailable_reason(tools: Iterable[str] = ("ip", "iptables", "nft")) -> str | None:
    """Why the lab cannot run here (None when it can): not root, a tool missing, or no netns.

    The namespace probe runs once per process: an unprivileged container fails it, and the
    reason is what pytest shows in its skip line.
    """
    if os.geteuid() != 0:
        return "kernel lab needs root (network namespaces, netfilter)"
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        return (f"kernel lab needs {', '.join(missing)} on PATH "
                "(apt-get install iptables nftables conntrack iproute2)")
    if not _unavailable:
        name = f"{PREFIX}-{os.getpid()}-probe"
        try:
            _run(["ip", "netns", "add", name], timeout=10)
            _run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], timeout=10)
            _unavailable.append(None)
        except LabError as exc:
            _unavailable.append(f"cannot create a network namespace here: {exc}")
        finally:
            _run(["ip", "netns", "del", name], check=False, timeout=10)
    return _unavailable[0]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale() -> list[str]:
    """Delete namespaces left by earlier lab runs whose process is gone; return their names.

    Only names of the lab's own pattern (nfl-<pid>-<n>-...) whose pid is dead are touched, so
    a concurrent run (or anybody else's namespace) is never disturbed.
    """
    listed = _run(["ip", "netns", "list"], check=False, timeout=10).stdout.splitlines()
    removed = []
    for line in listed[:1000]:
        name = line.split()[0] if line.split() else ""
        m = _NAME_RE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            for pid in _ns_pids(name):
                _kill(pid)
            if _run(["ip", "netns", "del", name], check=False, timeout=10).returncode == 0:
                removed.append(name)
    return removed


def _ns_pids(fullname: str) -> list[int]:
    out = _run(["ip", "netns", "pids", fullname], check=False, timeout=10).stdout
    return [int(p) for p in out.split() if p.isdigit()][:1000]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------------------------------------
# Results

@dataclass(frozen=True)
class Outcome:
    """What a TCP client saw.

    kind: "ok" (request sent, reply received), "reset" (ECONNRESET/EPIPE after the handshake),
    "refused" (RST to the SYN), "timeout" (no answer; see ``connected`` to know whether the
    handshake completed), "unreachable" (ICMP unreachable / no route / no ARP), "closed" (the
    peer closed without replying), "error" (anything else; see detail).
    """
    kind: str
    connected: bool = False
    detail: str = ""
    elapsed: float = 0.0

    def __str__(self) -> str:
        hs = "handshake ok" if self.connected else "no handshake"
        detail = f", {self.detail}" if self.detail else ""
        return f"{self.kind} ({hs}, {self.elapsed:.2f}s{detail})"


@dataclass(frozen=True)
class RuleCounter:
    """One rule (or chain policy) and its packet/byte counters, as a save/list dump shows it."""
    backend: str          # "iptables-nft", "iptables-legacy" or "nft"
    table: str            # iptables table name, or "<family> <name>" for nft
    chain: str
    rule: str             # rule text without counters; ":policy DROP" for a policy
    packets: int
    bytes: int


# The client and server run inside namespaces as tiny python3 programs (no netcat dialects).
# Both read one line of at most 4 KiB, the exchange's only message in either direction.
_RECV_LINE = r"""
def recv_line(sock):
    buf = b""
    while b"\n" not in buf and len(buf) < 4096:
        d = sock.recv(4096)
        if not d:
            break
        buf += d
    return buf
"""

_CLIENT = r"""
import errno, json, socket, sys, time
""" + _RECV_LINE + r"""
addr, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = time.monotonic()
out = {"kind": "error", "connected": False, "detail": ""}
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(timeout)
try:
    s.connect((addr, port))
    out["connected"] = True
    s.sendall(b"nflint-lab ping\n")
    buf = recv_line(s)
    out["kind"] = "ok" if buf else "closed"
    out["detail"] = buf.decode("ascii", "replace").strip()
except ConnectionRefusedError:
    out["kind"] = "refused"
except (ConnectionResetError, BrokenPipeError) as e:
    out["kind"] = "reset"; out["detail"] = e.strerror or str(e)
except (socket.timeout, TimeoutError):
    out["kind"] = "timeout"
except OSError as e:
    unreach = (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM)
    out["kind"] = "unreachable" if e.errno in unreach else "error"
    out["detail"] = e.strerror or str(e)
finally:
    s.close()
out["elapsed"] = time.monotonic() - t0
print(json.dumps(out))
"""

_SERVER = r"""
import socket, sys, threading, time
""" + _RECV_LINE + r"""
addr, port, lifetime = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(64)
srv.settimeout(0.2)
print("ready", flush=True)
def handle(c, peer):
    c.settimeout(5)
    try:
        recv_line(c)
        c.sendall(b"pong\n")
        print("served", peer[0], peer[1], flush=True)
    except OSError as e:
        print("failed", peer[0], peer[1], e.__class__.__name__, flush=True)
    finally:
        c.close()
deadline = time.monotonic() + lifetime
while time.monotonic() < deadline:
    try:
        c, peer = srv.accept()
    except socket.timeout:
        continue
    print("accepted", peer[0], peer[1], flush=True)
    threading.Thread(target=handle, args=(c, peer), daemon=True).start()
"""


class Background:
    """A process running in a namespace whose output lines are collected as they come.

    Reading never blocks longer than asked; ``stop()`` ends the process (by its own pid) and
    returns every line it printed.
    """

    def __init__(self, ns: "Netns", cmd: str | Sequence[str]):
        self.ns = ns
        self._lines: list[str] = []
        self._partial = b""
        self.proc = ns.popen(cmd)

    def read(self, seconds: float = 0.05, until: str | None = None) -> str | None:
        """Collect lines for up to ``seconds``; return early the first line starting ``until``."""
        deadline = time.monotonic() + seconds
        out = self.proc.stdout
        fd = out.fileno() if out is not None and not out.closed else None
        for _ in range(10000):
            left = deadline - time.monotonic()
            if fd is None or left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._partial += chunk
            *lines, self._partial = self._partial.split(b"\n")
            texts = [ln.decode("utf-8", "replace").rstrip() for ln in lines]
            self._lines.extend(texts)
            for text in texts:
                if until is not None and text.startswith(until):
                    return text
        return None

    def lines(self, settle: float = 0.05) -> list[str]:
        """Lines printed so far (waiting up to ``settle`` seconds for more)."""
        self.read(settle)
        return list(self._lines)

    def stop(self) -> list[str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.read(0.5)                 # whatever the process flushed while exiting
        self.ns.lab._stop(self.proc)
        return list(self._lines)

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Listener(Background):
    """A TCP server in a namespace that reads one line per connection and answers "pong".

    ``lines()`` returns what the server printed ("accepted <ip> <port>", "served <ip> <port>",
    "failed <ip> <port> <error>"), which tells a test whether a SYN reached the server at all.
    """

    def __init__(self, ns: "Netns", port: int, addr: str = "0.0.0.0", lifetime: float = 600):
        super().__init__(ns, [sys.executable, "-u", "-c", _SERVER, addr, str(port), str(lifetime)])
        self.port, self.addr = port, addr
        if self.read(10, until="ready") is None:
            out = self.stop()
            raise LabError(f"listener {ns.name}:{port} did not start: {' | '.join(out)}")

    def peers(self, event: str = "accepted") -> list[str]:
        """Source addresses of the connections that reached ``event`` ("accepted", "served")."""
        return [ln.split()[1] for ln in self.lines() if ln.startswith(event + " ")]


# ---------------------------------------------------------------------------------------------
# Namespaces

class Netns:
    """One network namespace of a lab; every command runs inside it via ``ip netns exec``."""

    def __init__(self, lab: "Lab", name: str, fullname: str):
        self.lab, self.name, self.fullname = lab, name, fullname

    def __repr__(self) -> str:
        return f"Netns({self.name!r}, {self.fullname!r})"

    # -- commands ---------------------------------------------------------------------------
    def run(self, cmd: str | Sequence[str], input: str | None = None, check: bool = True,
            timeout: float = 10) -> subprocess.CompletedProcess:
        """Run ``cmd`` (a string is split like a shell would) inside this namespace."""
        return _run(["ip", "netns", "exec", self.fullname, *_argv(cmd)],
                    input=input, check=check, timeout=timeout)

    def popen(self, cmd: str | Sequence[str]) -> subprocess.Popen:
        """Start a background process in the namespace; the lab stops it on exit."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.fullname, *_argv(cmd)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, bufsize=0)
        self.lab._procs.append(proc)
        return proc

    # -- links and addresses ----------------------------------------------------------------
    def ip(self, *commands: str) -> None:
        """Several ``ip`` commands (without the leading "ip") in one ``ip -batch`` process.

        One process instead of dozens keeps topology setup fast on a loaded machine; every
        token that reads as an IP address is held to the lab's test ranges.
        """
        for command in commands:
            for token in command.split():
                try:
                    ipaddress.ip_network(token, strict=False)
                except ValueError:
                    continue
                _check_address(token)
        self.run(["ip", "-batch", "-"], input="".join(c + "\n" for c in commands))

    def bridge(self, name: str, up: bool = True) -> None:
        """A Linux bridge without STP or forward delay (ports forward at once)."""
        _check_ifname(name)
        self.run(["ip", "link", "add", "name", name, "type", "bridge", "forward_delay", "0",
                  "stp_state", "0"])
        if up:
            self.up(name)

    def enslave(self, port: str, bridge: str) -> None:
        self.run(["ip", "link", "set", port, "master", bridge])

    def addr(self, ifname: str, cidr: str) -> None:
        _check_address(cidr)
        # nodad: an IPv6 address is usable at once instead of "tentative" for a second or two.
        extra = ["nodad"] if ":" in cidr else []
        self.run(["ip", "addr", "add", cidr, "dev", ifname, *extra])

    def up(self, ifname: str) -> None:
        self.run(["ip", "link", "set", ifname, "up"])

    def route(self, dest: str, via: str | None = None, dev: str | None = None) -> None:
        """Add a route; ``dest`` is a prefix or "default"."""
        if dest != "default":
            _check_address(dest)
        cmd = ["ip", "route", "add", dest]
        if via:
            _check_address(via)
            cmd += ["via", via]
        if dev:
            cmd += ["dev", dev]
        self.run(cmd)

    def neigh(self, addr: str, lladdr: str, dev: str) -> None:
        """A permanent neighbour entry, to take ARP out of a scenario when that is intended."""
        _check_address(addr)
        self.run(["ip", "neigh", "replace", addr, "lladdr", lladdr, "dev", dev,
                  "nud", "permanent"])

    def mac(self, ifname: str) -> str:
        links = json.loads(self.run(["ip", "-j", "link", "show", "dev", ifname]).stdout)
        return links[0]["address"]

    # -- sysctls ----------------------------------------------------------------------------
    def sysctl(self, key: str, value: str | int) -> None:
        """Set a sysctl of this namespace (net.* keys are per namespace; others are refused)."""
        if not key.startswith("net."):
            raise LabError(f"refusing to set {key}: only net.* sysctls are per namespace")
        self.run(["sysctl", "-q", "-w", f"{key}={value}"])

    def sysctl_get(self, key: str) -> str:
        return self.run(["sysctl", "-n", key]).stdout.strip()

    # -- rulesets ---------------------------------------------------------------------------
    def load_iptables(self, text: str, backend: str = "nft", family: int = 4,
                      flush: bool = True) -> None:
        """Load iptables-save text with ``ip[6]tables-<backend>-restore`` (``flush=False``: -n)."""
        if backend not in IPTABLES_BACKENDS or family not in (4, 6):
            raise LabError(f"backend must be one of {IPTABLES_BACKENDS}, family 4 or 6")
        cmd = [f"{'ip6' if family == 6 else 'ip'}tables-{backend}-restore", "-w", "5"]
        if not flush:
            cmd.append("-n")
        self.run(cmd, input=text)

    def load_nft(self, text: str) -> None:
        """Load an nft script (``nft -f -``); include ``flush ruleset`` to replace everything."""
        self.run(["nft", "-f", "-"], input=text)

    def counters(self, backend: str = "iptables-nft") -> list[RuleCounter]:
        """Every rule's counters: from ``<backend>-save -c``, or ``nft list ruleset`` for nft."""
        if backend == "nft":
            return _nft_counters(self.run(["nft", "list", "ruleset"]).stdout)
        if backend not in ("iptables-nft", "iptables-legacy", "ip6tables-nft", "ip6tables-legacy"):
            raise LabError(f"unknown backend {backend!r}")
        out = self.run([f"{backend}-save", "-c"]).stdout
        return _save_counters(out, backend)

    def packets(self, chain: str, contains: str = "", backend: str = "iptables-nft") -> int:
        """Packets counted by the rules of ``chain`` whose text contains ``contains``."""
        return sum(c.packets for c in self.counters(backend)
                   if c.chain == chain and contains in c.rule)

    # -- services ---------------------------------------------------------------------------
    def background(self, cmd: str | Sequence[str]) -> Background:
        """Run ``cmd`` in the background here, collecting its output lines."""
        return Background(self, cmd)

    def conntrack_events(self) -> Background:
        """``conntrack -E -o extended,id`` running here (line-buffered); stop() gives events."""
        return Background(self, ["stdbuf", "-oL", "conntrack", "-E", "-o", "extended,id"])

    def serve_tcp(self, port: int, addr: str = "0.0.0.0", lifetime: float = 600) -> Listener:
        """Start a line-echoing TCP listener here (stopped by ``Listener.stop`` or lab exit)."""
        if addr not in ("0.0.0.0", "::"):
            _check_address(addr)
        return Listener(self, port, addr, lifetime)

    # -- dumps ------------------------------------------------------------------------------
    def capture(self) -> dict[str, str]:
        """The namespace's state as the usual tools print it, keyed by the command line.

        iptables dumps appear only when they hold a table; tools that are missing or fail
        are left out (conntrack without the module, legacy without x_tables).
        """
        dumps: dict[str, str] = {}
        for cmd in ("iptables-nft-save", "iptables-legacy-save",
                    "ip6tables-nft-save", "ip6tables-legacy-save"):
            out = self._try(cmd)
            if out and any(line.startswith("*") for line in out.splitlines()):
                dumps[cmd] = out
        for cmd in ("nft -j list ruleset", "nft list ruleset", "sysctl -a",
                    "ip -j addr", "ip -j -d link", "ip -j route", "ip addr", "ip -d link",
                    "ip route", "conntrack -L"):
            out = self._try(cmd)
            if out is not None:
                dumps[cmd] = out
        return dumps

    def capture_bundle(self) -> str:
        """All dumps in one text, each after a root prompt line (``# iptables-nft-save``)."""
        parts = []
        for cmd, out in self.capture().items():
            parts.append(f"# {cmd}\n{out}{'' if out.endswith(chr(10)) or not out else chr(10)}")
        return "".join(parts)

    def _try(self, cmd: str) -> str | None:
        if shutil.which(cmd.split()[0]) is None:
            return None
        proc = self.run(cmd, check=False, timeout=15)
        # conntrack prints its summary on stderr and exits 0 even when empty.
        return proc.stdout if proc.returncode == 0 else None


def _check_ifname(name: str) -> None:
    if not _IFNAME_RE.match(name):
        raise LabError(f"bad interface name {name!r} (1-15 chars of [A-Za-z0-9_.@-])")


_COUNTER_RE = re.compile(r"^\[(\d+):(\d+)\]\s+-A\s+(\S+)\s*(.*)$")
_POLICY_RE = re.compile(r"^:(\S+)\s+(\S+)\s+\[(\d+):(\d+)\]")


def _save_counters(text: str, backend: str) -> list[RuleCounter]:
    table, found = "", []
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif (m := _COUNTER_RE.match(line)):
            found.append(RuleCounter(backend, table, m.group(3), m.group(4),
                                     int(m.group(1)), int(m.group(2))))
        elif (m := _POLICY_RE.match(line)) and m.group(2) != "-":
            found.append(RuleCounter(backend, table, m.group(1), f":policy {m.group(2)}",
                                     int(m.group(3)), int(m.group(4))))
    return found


_NFT_COUNTER_RE = re.compile(r"\s*counter packets (\d+) bytes (\d+)")


def _nft_counters(text: str) -> list[RuleCounter]:
    table, chain, found = "", "", []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("table "):
            table = line[len("table "):].rstrip(" {")
        elif line.startswith("chain "):
            chain = line[len("chain "):].rstrip(" {")
        elif (m := _NFT_COUNTER_RE.search(line)):
            rule = _NFT_COUNTER_RE.sub("", line).strip()
            found.append(RuleCounter("nft", table, chain, rule, int(m.group(1)), int(m.group(2))))
    return found


# ---------------------------------------------------------------------------------------------
# The lab

class Lab:
    """Owns namespaces and background processes; ``close()`` (or leaving ``with``) removes all.

    Creating a lab first deletes stale namespaces of dead earlier runs (``cleanup_stale``).
    """

    def __init__(self) -> None:
        # Random, not a counter: the module may be imported under two names in one process.
        self._id = int.from_bytes(os.urandom(4), "big")
        self.namespaces: dict[str, Netns] = {}
        self._procs: list[subprocess.Popen] = []
        cleanup_stale()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def netns(self, name: str) -> Netns:
        """Create a namespace with ``lo`` up; ``name`` is the short name used in the lab."""
        if name in self.namespaces:
            raise LabError(f"namespace {name!r} exists in this lab")
        if len(self.namespaces) >= _MAX_NAMESPACES:
            raise LabError(f"more than {_MAX_NAMESPACES} namespaces in one lab")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise LabError(f"bad namespace name {name!r}")
        fullname = f"{PREFIX}-{os.getpid()}-{self._id}-{name}"
        _run(["ip", "netns", "add", fullname])
        ns = Netns(self, name, fullname)
        self.namespaces[name] = ns
        ns.up("lo")
        return ns

    def veth(self, ns_a: Netns, if_a: str, ns_b: Netns, if_b: str, up: bool = True) -> None:
        """A veth pair ``if_a`` (in ns_a) <-> ``if_b`` (in ns_b), created from inside ns_a."""
        _check_ifname(if_a)
        _check_ifname(if_b)
        ns_a.run(["ip", "link", "add", if_a, "type", "veth", "peer", "name", if_b,
                  "netns", ns_b.fullname])
        if up:
            ns_a.up(if_a)
            ns_b.up(if_b)

    def tcp_connect(self, client: Netns, server: Netns | None, addr: str, port: int,
                    timeout: float = 2.0) -> Outcome:
        return tcp_connect(client, server, addr, port, timeout)

    def _stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=2)
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        """Stop the lab's processes and delete its namespaces; safe to call twice."""
        errors = []
        for proc in self._procs:
            try:
                self._stop(proc)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append(str(exc))
        self._procs.clear()
        for ns in list(self.namespaces.values()):
            for pid in _ns_pids(ns.fullname):   # stragglers started by this lab's commands
                _kill(pid)
            if _run(["ip", "netns", "del", ns.fullname], check=False).returncode != 0:
                errors.append(f"could not delete {ns.fullname}")
        self.namespaces.clear()
        if errors:
            raise LabError("; ".join(errors))


def tcp_connect_many(attempts: Sequence[tuple[Netns, Netns | None, str, int]],
                     timeout: float = 2.0) -> list[Outcome]:
    """Run several ``tcp_connect`` attempts at once (independent flows), results in order.

    A scenario with three blackholed flows then costs one timeout, not three.
    """
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(attempts)))) as pool:
        futures = [pool.submit(tcp_connect, c, s, a, p, timeout) for c, s, a, p in attempts]
        return [f.result() for f in futures]


def tcp_connect(client: Netns, server: Netns | None, addr: str, port: int,
                timeout: float = 2.0) -> Outcome:
    """Connect from ``client`` to ``addr:port``, send a line, wait for the reply.

    With ``server`` given, a one-shot listener runs there for the attempt; with None, a
    listener must already be up (``Netns.serve_tcp``). ``timeout`` bounds the connect and the
    reply wait separately, so a blackholed flow costs about ``timeout`` seconds.
    """
    _check_address(addr)
    any_addr = "::" if ":" in addr else "0.0.0.0"
    listener = (server.serve_tcp(port, any_addr, lifetime=4 * timeout + 10)
                if server is not None else None)
    try:
        proc = client.run([sys.executable, "-c", _CLIENT, addr, str(port), str(timeout)],
                          check=False, timeout=2 * timeout + 10)
    finally:
        if listener is not None:
            listener.stop()
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Outcome("error", detail=(proc.stderr or proc.stdout).strip()[-300:])
    return Outcome(data["kind"], bool(data["connected"]), data.get("detail", ""),
                   float(data.get("elapsed", 0.0)))
