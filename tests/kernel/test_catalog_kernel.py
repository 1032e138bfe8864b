"""Catalog rules against the kernel: NF401 (ip_forward off), NF204 (an accept overruled by a
later base chain), NF205 (no established accept before a drop), NF106/NF107 (DNAT between two
ports of a bridge with br_netfilter off).

Each scenario builds a small host in namespaces, loads its rules with the real tools
(iptables-nft-restore, nft -f), tries a real TCP connection, captures the host namespace's dumps
and runs nflint on them. The rule must fire exactly when the kernel fails the connection for
that reason and be quiet on the working variant; the fix nflint prints, run in the host
namespace, must make the connection work. Rows of AGREEMENT are printed with ``-s``.
"""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from rulesets import DOCKER_NAT_HEAD

from .conftest import nflint_on_dumps, print_agreement, require

pytestmark = pytest.mark.kernel

TIMEOUT = 1.0
DUMPS = {"iptables-nft-save": "iptables.rules", "nft -j list ruleset": "ruleset.json",
         "sysctl -a": "sysctl.txt", "ip -j addr": "ip-addr.json",
         "ip -j -d link": "ip-link.json", "ip -j route": "ip-route.json"}
# Fix lines that would change the real host rather than the namespace: never run here.
PERSISTING = ("printf", "echo", "modprobe")
RUNNABLE = ("sysctl", "iptables", "nft")
BRNF = "net.bridge.bridge-nf-call-iptables"

CLIENT_IP, HOST_UP_IP = "203.0.113.77", "203.0.113.10"
GATEWAY, CTR_IP, CTR2_IP = "198.18.0.1", "198.18.0.2", "198.18.0.3"
SERVICE_IP, PUBLISHED = "198.18.96.10", 8080

AGREEMENT: list[tuple[str, str, str, str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def _print_agreement():
    yield
    print_agreement(AGREEMENT, ("scenario", "rule", "nflint", "kernel", "fix"), (5, 7, 13))


# ---------------------------------------------------------------------------------------------
# nflint on the captured dumps, and its fix run in the namespace

def check(host, code: str, *, bundle: bool = False) -> list:
    """nflint's `code` findings on the host namespace's dumps (files, or one pasted bundle)."""
    found = nflint_on_dumps(host, DUMPS, (code,), bundle=bundle)
    assert not [d for d in found if d.code in ("NF004", "NF005", "NF008")], \
        [d.message for d in found]
    return [d for d in found if d.code == code]


def only(found: list):
    assert len(found) == 1, [d.message for d in found]
    return found[0]


def apply_fix(ns, diagnostic) -> list[str]:
    """Run the fix's commands inside the namespace after checking each one only touches it:
    iptables/nft rules and `sysctl -w net.*` (per-namespace keys). Lines that persist the
    change on a real host (sysctl.d, modules-load.d) or load a module are not run."""
    ran = []
    for cmd in diagnostic.fix.commands:
        argv = shlex.split(cmd)
        if not argv or argv[0] in PERSISTING or argv[0].startswith("#"):
            continue
        assert argv[0] in RUNNABLE, f"unexpected fix command {cmd!r}"
        if argv[0] == "sysctl":
            assert argv[1] == "-w" and all(a.startswith("net.") for a in argv[2:]), cmd
        ns.run(argv)
        ran.append(cmd)
    assert ran, f"nothing runnable in the fix: {diagnostic.fix.commands}"
    return ran


def record(scenario: str, code: str, fired: bool, kernel, fixed) -> None:
    AGREEMENT.append((scenario, code, "fired" if fired else "quiet", str(kernel.kind),
                      "-" if fixed is None else fixed.kind))


def snmp(ns, proto: str, field: str) -> int:
    """A counter of the namespace's /proc/net/snmp (per namespace), e.g. Tcp OutRsts."""
    lines = [ln.split() for ln in ns.run(["cat", "/proc/net/snmp"]).stdout.splitlines()
             if ln.startswith(proto + ":")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))[field])


def _iptables_is_nft(ns) -> None:
    """The fixes say `iptables`: it must reach the iptables-nft backend the rules live in."""
    require("iptables-nft-restore", "iptables-nft-save")
    if "nf_tables" not in ns.run(["iptables", "-V"]).stdout:
        pytest.skip("`iptables` is the legacy binary here; the fixes target iptables-nft")


# ---------------------------------------------------------------------------------------------
# Topologies

def routed_host(lab):
    """client (203.0.113.77) -- up0 [host] br0 (198.18.0.1/24) -- ctr (198.18.0.2).

    The client routes 198.18.0.0/24 through the host, so flows are forwarded without NAT
    unless a DNAT publishes a port on 203.0.113.10."""
    client, host, ctr = (lab.netns(n) for n in ("client", "host", "ctr"))
    lab.veth(client, "eth0", host, "up0")
    lab.veth(ctr, "eth0", host, "vctr")
    host.bridge("br0")
    host.enslave("vctr", "br0")
    host.ip(f"addr add {HOST_UP_IP}/24 dev up0", f"addr add {GATEWAY}/24 dev br0",
            "route add default via 203.0.113.1")
    client.ip(f"addr add {CLIENT_IP}/24 dev eth0", f"route add default via {HOST_UP_IP}")
    ctr.ip(f"addr add {CTR_IP}/24 dev eth0", f"route add default via {GATEWAY}")
    for key in ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
        host.sysctl(key, 0)
    host.sysctl("net.ipv4.ip_forward", 1)
    return client, host, ctr


def bridge_host(lab, brnf: int):
    """[host] br0 (198.18.0.1/24) with two containers c1 (.2) and c2 (.3) on veth ports, an
    uplink 203.0.113.10 (veth to a `wan` namespace), bridge-nf-call-iptables set here only."""
    if not Path("/proc/sys/net/bridge").is_dir():
        pytest.skip("br_netfilter is not loaded (the lab loads no modules: modprobe br_netfilter)")
    host, c1, c2 = (lab.netns(n) for n in ("host", "c1", "c2"))
    host.bridge("br0")
    for ns, port, ip in ((c1, "vc1", CTR_IP), (c2, "vc2", CTR2_IP)):
        lab.veth(ns, "eth0", host, port)
        host.enslave(port, "br0")
        ns.ip(f"addr add {ip}/24 dev eth0", f"route add default via {GATEWAY}")
    wan = lab.netns("wan")         # the uplink's far end (no dummy links: module may be absent)
    lab.veth(wan, "eth0", host, "up0")
    host.ip(f"addr add {HOST_UP_IP}/24 dev up0", f"addr add {GATEWAY}/24 dev br0",
            "route add default via 203.0.113.1")
    for key in ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
        host.sysctl(key, 0)
    host.sysctl("net.ipv4.ip_forward", 1)
    host.sysctl(BRNF, brnf)
    return host, c1, c2


# ---------------------------------------------------------------------------------------------
# NF401 ip-forward-disabled

DOCKER_IPTABLES = f"""*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
-A FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br0 -j DOCKER
-A FORWARD -i br0 -j ACCEPT
-A DOCKER -d {CTR_IP}/32 ! -i br0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT
COMMIT
{DOCKER_NAT_HEAD}-A POSTROUTING -s 198.18.0.0/24 ! -o br0 -j MASQUERADE
-A DOCKER -i br0 -j RETURN
-A DOCKER ! -i br0 -p tcp -m tcp --dport {PUBLISHED} -j DNAT --to-destination {CTR_IP}:80
COMMIT
"""

DOCKER_NFT = f"""table ip nat {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        iifname != "br0" fib daddr type local tcp dport {PUBLISHED} dnat to {CTR_IP}:80
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 198.18.0.0/24 oifname != "br0" masquerade
    }}
}}
"""


def _with_mgmt_link(lab, host):
    """A third link (a management LAN) that no NAT path uses."""
    lab.veth(lab.netns("mgmt"), "eth0", host, "mgmt0")
    host.ip("addr add 198.51.100.1/24 dev mgmt0")


@pytest.mark.parametrize("backend,off", [("iptables-nft", "net.ipv4.ip_forward"),
                                         ("nft", "net.ipv4.ip_forward"),
                                         ("iptables-nft", "net.ipv4.conf.up0.forwarding"),
                                         ("iptables-nft", "net.ipv4.conf.br0.forwarding")])
def test_nf401_forwarding_off_kills_the_published_port(lab, backend, off):
    """A port published by DNAT on the uplink: with forwarding off (globally, on the link the
    client comes in on, or on the bridge the reply comes in on: the kernel checks the input
    link) the flow dies at the routing decision; NF401 names the sysctl, and its `sysctl -w`
    makes the connection work."""
    client, host, ctr = routed_host(lab)
    _with_mgmt_link(lab, host)
    if backend == "nft":
        host.load_nft(DOCKER_NFT)
    else:
        host.load_iptables(DOCKER_IPTABLES)
    host.sysctl(off, 0)
    ctr.serve_tcp(80)
    scenario = f"NF401 {backend} {off}=0"

    errors = snmp(host, "Ip", "InAddrErrors")
    before = lab.tcp_connect(client, None, HOST_UP_IP, PUBLISHED, timeout=TIMEOUT)
    hit = only(check(host, "NF401"))
    assert before.kind == "timeout" and not before.connected, before
    # the kernel's reason: a packet of the flow (the DNATed SYN, or the SYN+ACK entering on
    # br0) was not routed: ip_error counts it when the input link does not forward
    assert snmp(host, "Ip", "InAddrErrors") > errors
    assert ("(reply)" in hit.message) == (off == "net.ipv4.conf.br0.forwarding"), hit.message
    assert off in hit.message and "forwarding-disabled" in hit.message, hit.message
    cmds = apply_fix(host, hit)
    assert cmds == [f"sysctl -w {off}=1"], cmds
    after = lab.tcp_connect(client, None, HOST_UP_IP, PUBLISHED, timeout=TIMEOUT)
    record(scenario, "NF401", True, before, after)
    assert after.kind == "ok", after
    quiet = check(host, "NF401")
    record(f"{scenario} + fix", "NF401", bool(quiet), after, None)
    assert not quiet, [d.message for d in quiet]


def test_nf401_quiet_when_forwarding_is_off_on_an_unused_link(lab):
    """Forwarding off on a link no NAT path enters by: the kernel forwards the published port
    and the container's outbound flow; NF401 stays quiet."""
    client, host, ctr = routed_host(lab)
    _with_mgmt_link(lab, host)
    host.load_iptables(DOCKER_IPTABLES)
    host.sysctl("net.ipv4.conf.mgmt0.forwarding", 0)
    ctr.serve_tcp(80)
    inbound = lab.tcp_connect(client, None, HOST_UP_IP, PUBLISHED, timeout=TIMEOUT)
    outbound = lab.tcp_connect(ctr, client, CLIENT_IP, 81, timeout=TIMEOUT)
    found = check(host, "NF401")
    record("NF401 conf.mgmt0.forwarding=0 (unused link)", "NF401", bool(found), inbound, None)
    assert inbound.kind == "ok" and outbound.kind == "ok", (inbound, outbound)
    assert not found, [d.message for d in found]


# ---------------------------------------------------------------------------------------------
# NF204 accept-overruled-by-later-chain

ACCEPT_NFT = """table inet lxd {{
    chain forward {{
        type filter hook forward priority {prio}; policy accept;
        iifname "up0" oifname "br0" tcp dport 80 accept
    }}
}}
"""
DROP_NFT = """table ip guard {{
    chain forward {{
        type filter hook forward priority {prio}; policy drop;
        ct state established,related accept
    }}
}}
"""
ACCEPT_IPTABLES = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i up0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT
COMMIT
"""
DROP_IPTABLES = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
"""

# accepting side, dropping side: (loader, text), the accepting chain always runs first
NF204_CASES = {
    "nft then nft": (("nft", ACCEPT_NFT.format(prio="filter - 10")),
                     ("nft", DROP_NFT.format(prio="filter"))),
    "nft then iptables-nft": (("nft", ACCEPT_NFT.format(prio="filter - 10")),
                              ("iptables", DROP_IPTABLES)),
    "iptables-nft then nft": (("iptables", ACCEPT_IPTABLES),
                              ("nft", DROP_NFT.format(prio="filter + 10"))),
}


def _load(ns, loader: str, text: str) -> None:
    if loader == "nft":
        ns.load_nft(text)
    else:
        ns.load_iptables(text, flush=False)


@pytest.mark.parametrize("case", list(NF204_CASES))
def test_nf204_later_chain_drops_what_an_earlier_one_accepts(lab, case):
    """Two base chains on the forward hook in two tables: the first accepts the client's flow,
    the later one drops it (policy drop, replies accepted). The kernel times out; NF204 cites
    both chains, and the accept it prints for the dropping chain opens the flow."""
    client, host, ctr = routed_host(lab)
    accepting, dropping = NF204_CASES[case]
    if "iptables" in (accepting[0], dropping[0]):
        _iptables_is_nft(host)
    _load(host, *accepting)
    _load(host, *dropping)
    ctr.serve_tcp(80)
    scenario = f"NF204 {case}"

    before = lab.tcp_connect(client, None, CTR_IP, 80, timeout=TIMEOUT)
    hit = only(check(host, "NF204"))
    assert before.kind == "timeout" and not before.connected, before
    assert "runs after it" in hit.message, hit.message
    cmds = apply_fix(host, hit)
    assert cmds[0].split()[0] == ("nft" if dropping[0] == "nft" else "iptables"), cmds
    after = lab.tcp_connect(client, None, CTR_IP, 80, timeout=TIMEOUT)
    record(scenario, "NF204", True, before, after)
    assert after.kind == "ok", after
    quiet = check(host, "NF204")
    record(f"{scenario} + fix", "NF204", bool(quiet), after, None)
    assert not quiet, [d.message for d in quiet]


# Same priority (filter, 0) on both sides, loaded in either order. The kernel inserts a new hook
# before equal ones (net/netfilter/core.c), so the chain loaded last runs first: the accept's
# counter tells which ran first. The flow dies either way, and NF204 must say so either way.
TIE_ACCEPT = ACCEPT_NFT.format(prio="filter").replace("dport 80 accept", "dport 80 counter accept")


@pytest.mark.parametrize("drop_loader", ["nft", "iptables"])
@pytest.mark.parametrize("loaded_first", ["accept", "drop"])
def test_nf204_same_priority_either_order(lab, drop_loader, loaded_first):
    client, host, ctr = routed_host(lab)
    if drop_loader == "iptables":
        _iptables_is_nft(host)
    dropping = (drop_loader, DROP_NFT.format(prio="filter") if drop_loader == "nft"
                else DROP_IPTABLES)
    order = [("nft", TIE_ACCEPT), dropping]
    for loader, text in order if loaded_first == "accept" else order[::-1]:
        _load(host, loader, text)
    ctr.serve_tcp(80)
    scenario = f"NF204 tie nft vs {drop_loader}, {loaded_first} loaded first"

    before = lab.tcp_connect(client, None, CTR_IP, 80, timeout=TIMEOUT)
    accept_ran = any(c.packets for c in host.counters("nft") if "dport 80" in c.rule)
    hit = only(check(host, "NF204"))
    assert before.kind == "timeout" and not before.connected, before
    # the kernel's order on a tie: the chain loaded last runs first
    assert accept_ran == (loaded_first == "drop"), "tie order differs from net/netfilter/core.c"
    assert "same priority" in hit.message, hit.message
    apply_fix(host, hit)
    after = lab.tcp_connect(client, None, CTR_IP, 80, timeout=TIMEOUT)
    record(f"{scenario} (accept ran: {accept_ran})", "NF204", True, before, after)
    assert after.kind == "ok", after
    assert not check(host, "NF204")


def test_nf204_quiet_when_the_earlier_chain_drops(lab):
    """The same two tables with the dropping chain first: the accept never sees the packet,
    so there is no overruled accept (NF204 quiet) though the kernel still drops the flow."""
    client, host, ctr = routed_host(lab)
    host.load_nft(ACCEPT_NFT.format(prio="filter + 10"))
    host.load_nft(DROP_NFT.format(prio="filter"))
    ctr.serve_tcp(80)
    out = lab.tcp_connect(client, None, CTR_IP, 80, timeout=TIMEOUT)
    found = check(host, "NF204")
    record("NF204 nft drop first", "NF204", bool(found), out, None)
    assert out.kind == "timeout" and not found, [d.message for d in found]


# ---------------------------------------------------------------------------------------------
# NF205 drop-without-established-accept

FORWARD_NO_EST_IPTABLES = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i up0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT
COMMIT
"""
FORWARD_NO_EST_NFT = """table inet fw {
    chain forward {
        type filter hook forward priority filter; policy drop;
        iifname "up0" oifname "br0" tcp dport 80 counter accept
    }
}
"""
INPUT_NO_EST_NFT = """table inet fw {
    chain input {
        type filter hook input priority filter; policy drop;
        tcp dport 22 accept
    }
}
"""


@pytest.mark.parametrize("case", ["forward iptables-nft", "forward nft", "input nft"])
def test_nf205_first_packet_passes_reply_dropped(lab, case):
    """Policy drop with an accept for the client's first packet and nothing for the reply:
    the SYN passes (the accept counts it), the SYN-ACK is dropped, the client times out.
    NF205 fires; the established accept it prints makes the flow work."""
    client, host, ctr = routed_host(lab)
    if case == "forward iptables-nft":
        _iptables_is_nft(host)
        host.load_iptables(FORWARD_NO_EST_IPTABLES)
    elif case == "forward nft":
        host.load_nft(FORWARD_NO_EST_NFT)
    else:
        host.load_nft(INPUT_NO_EST_NFT)
    # forward: client -> container through the host; input: the host's own connection out
    src, server, dst = (host, client, CLIENT_IP) if case.startswith("input") else \
        (client, ctr, CTR_IP)
    scenario = f"NF205 {case}"

    with server.serve_tcp(80):
        before = lab.tcp_connect(src, None, dst, 80, timeout=TIMEOUT)
        hit = only(check(host, "NF205"))
        assert before.kind == "timeout" and not before.connected, before
        if case == "forward iptables-nft":
            assert host.packets("FORWARD", "--dport 80") >= 1, "the SYN was not accepted"
        elif case == "forward nft":
            assert any(c.packets for c in host.counters("nft") if "dport 80" in c.rule)
        assert "established" in hit.message, hit.message
        apply_fix(host, hit)
        after = lab.tcp_connect(src, None, dst, 80, timeout=TIMEOUT)
    record(scenario, "NF205", True, before, after)
    assert after.kind == "ok", after
    quiet = check(host, "NF205")
    record(f"{scenario} + fix", "NF205", bool(quiet), after, None)
    assert not quiet, [d.message for d in quiet]


# ---------------------------------------------------------------------------------------------
# NF106 / NF107: DNAT between two ports of one bridge, br_netfilter off

SERVICE_IPTABLES = f"""*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-WEB - [0:0]
:KUBE-SEP-WEB - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d {SERVICE_IP}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SVC-WEB -j KUBE-SEP-WEB
-A KUBE-SEP-WEB -p tcp -m tcp -j DNAT --to-destination {CTR2_IP}:80
COMMIT
"""
# Docker with userland-proxy off ("hairpin mode"): the DNAT has no `! -i br0`, so a container
# reaching the host address is DNATed too; {guard} is Docker's rule with the proxy on.
HAIRPIN_IPTABLES = f"""{DOCKER_NAT_HEAD}-A POSTROUTING -s 198.18.0.0/24 ! -o br0 -j MASQUERADE
-A POSTROUTING -s {CTR2_IP}/32 -d {CTR2_IP}/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER {{guard}}-p tcp -m tcp --dport {PUBLISHED} -j DNAT --to-destination {CTR2_IP}:80
COMMIT
"""
SERVICE_NFT = f"""table ip nat {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr {SERVICE_IP} tcp dport 80 dnat to {CTR2_IP}:80
    }}
}}
"""
HAIRPIN_NFT = f"""table ip nat {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        fib daddr type local tcp dport {PUBLISHED} dnat to {CTR2_IP}:80
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 198.18.0.0/24 oifname != "br0" masquerade
    }}
}}
"""
BRNF_CASES = {
    ("NF106", "iptables-nft"): (SERVICE_IPTABLES, SERVICE_IP, 80),
    ("NF107", "iptables-nft"): (HAIRPIN_IPTABLES.format(guard=""), HOST_UP_IP, PUBLISHED),
    ("NF106", "nft"): (SERVICE_NFT, SERVICE_IP, 80),
    ("NF107", "nft"): (HAIRPIN_NFT, HOST_UP_IP, PUBLISHED),
}


@pytest.mark.parametrize("code,backend", list(BRNF_CASES))
def test_nf106_nf107_bridged_reply_skips_conntrack(lab, code, backend):
    """c1 reaches c2 (its bridge neighbour) through a DNAT on the host (a service address for
    NF106, the host's own address for NF107). With bridge-nf-call-iptables 0 in the host
    namespace the SYN-ACK is bridged straight from c2 without reverse NAT and the client never
    completes the handshake; the rule fires, and its `sysctl -w ...=1` (this namespace only:
    the root namespace's value does not move) makes the connection work."""
    if backend == "iptables-nft":
        require("iptables-nft-restore", "iptables-nft-save")
    root_before = Path(f"/proc/sys/{BRNF.replace('.', '/')}").read_text().strip()
    host, c1, c2 = bridge_host(lab, brnf=0)
    rules, addr, port = BRNF_CASES[code, backend]
    if backend == "nft":
        host.load_nft(rules)
    else:
        host.load_iptables(rules)
    scenario = f"{code} {backend} {'service' if code == 'NF106' else 'hairpin'} brnf=0"

    with c2.serve_tcp(80) as server:
        resets = snmp(c1, "Tcp", "OutRsts")
        before = lab.tcp_connect(c1, None, addr, port, timeout=TIMEOUT)
        hit = only(check(host, code, bundle=backend == "nft"))
        assert before.kind == "timeout" and not before.connected, before
        # the kernel's reason: c2's SYN-ACK reached c1 from c2's own address (bridged, not
        # un-NATed); c1 has no such connection and answers it with a reset
        assert snmp(c1, "Tcp", "OutRsts") > resets
        assert BRNF in hit.message and "connect() times out" in hit.message, hit.message
        apply_fix(host, hit)
        assert host.sysctl_get(BRNF) == "1"
        after = lab.tcp_connect(c1, None, addr, port, timeout=TIMEOUT)
        assert CTR_IP in server.peers("served"), server.lines()
    record(scenario, code, True, before, after)
    assert after.kind == "ok", after
    assert Path(f"/proc/sys/{BRNF.replace('.', '/')}").read_text().strip() == root_before
    quiet = check(host, code)
    record(f"{scenario} + fix", code, bool(quiet), after, None)
    assert not quiet, [d.message for d in quiet]


def test_nf107_quiet_when_the_dnat_skips_the_bridge(lab):
    """Docker's rule with the userland proxy on (`! -i br0`): a container's connection to the
    host address is not DNATed at all, so nothing is hairpinned. The kernel refuses it (no
    proxy listens in this lab); NF107 must stay quiet, br_netfilter off or not."""
    host, c1, c2 = bridge_host(lab, brnf=0)
    host.load_iptables(HAIRPIN_IPTABLES.format(guard="! -i br0 "))
    with c2.serve_tcp(80):
        out = lab.tcp_connect(c1, None, HOST_UP_IP, PUBLISHED, timeout=TIMEOUT)
    found = check(host, "NF107")
    record("NF107 `! -i br0` DNAT brnf=0", "NF107", bool(found), out, None)
    assert out.kind == "refused", out
    assert not found, [d.message for d in found]
