"""NF101-NF105 against the kernel: the seed host is built in namespaces, its dumps are captured
with the real tools and checked by nflint, and each verdict is compared with what a real TCP
connection does. Then the fix nflint prints is applied in the namespace, and the kernel must
agree that it removed that failure (the connection works, or the next stacked failure shows).

Rows of AGREEMENT (state, code, fired, stacked, kernel outcome) are printed with `-s`.
"""
from __future__ import annotations

import shlex

import pytest

from .conftest import nflint_on_dumps, print_agreement
from .seed000 import Variant

pytestmark = pytest.mark.kernel

TIMEOUT = 1.0
CODES = ("NF101", "NF102", "NF103", "NF104", "NF105")
# The dumps a user would paste, as files (the nft listing text is left out on purpose: the
# JSON and iptables-save views carry the same tables).
DUMPS = {"iptables-nft-save": "iptables.rules", "iptables-legacy-save": "iptables-legacy.rules",
         "nft -j list ruleset": "ruleset.json", "sysctl -a": "sysctl.txt",
         "ip -j addr": "ip-addr.json", "ip -j -d link": "ip-link.json"}
RUNNABLE = ("sysctl", "iptables", "iptables-legacy", "nft")
AGREEMENT: list[tuple[str, str, str, str, str]] = []


def check(seed) -> dict[str, list]:
    """nflint's findings on the host namespace's captured dumps, by code."""
    found: dict[str, list] = {}
    for d in nflint_on_dumps(seed.host, DUMPS):
        assert d.code not in ("NF004", "NF005"), d.message
        found.setdefault(d.code, []).append(d)
    return found


def apply_fix(ns, diagnostic) -> list[str]:
    """Run the fix's commands in the namespace: `sysctl -w net.*`, iptables, nft only (the
    sysctl.d line that would persist it on a real host is not run)."""
    ran = []
    for cmd in diagnostic.fix.commands:
        argv = shlex.split(cmd)
        if argv[0] == "printf":
            continue
        assert argv[0] in RUNNABLE, f"unexpected fix command {cmd!r}"
        if argv[0] == "sysctl":
            assert all(a.startswith("net.") for a in argv[2:]), cmd
        ns.run(argv)
        ran.append(cmd)
    return ran


def record(state: str, found: dict, kernel: str) -> None:
    for code in CODES:
        hits = found.get(code, [])
        stacked = "stacked" if hits and all("stacked behind" in d.message for d in hits) else \
            ("first" if hits else "-")
        AGREEMENT.append((state, code, "fired" if hits else "quiet", stacked, kernel))


def only(found: dict, code: str):
    hits = found.get(code, [])
    assert len(hits) == 1, (code, [d.message for d in hits])
    return hits[0]


@pytest.fixture(scope="module", autouse=True)
def _print_agreement():
    yield
    print_agreement(AGREEMENT, ("state", "code", "nflint", "order", "kernel"), (5, 7, 8))


@pytest.mark.parametrize("backend", ["iptables-nft", "nft", "iptables-legacy"])
def test_fixing_one_finding_at_a_time(seed_host, backend):
    """The seed: four stacked failures on ha -> the published port, NF105 on ha -> the LAN.
    Each printed fix, applied in the namespace, removes exactly its failure in the kernel."""
    seed = seed_host(Variant(backend))
    pub, lan = seed.ha_to_published(TIMEOUT), seed.ha_to_lan(TIMEOUT)
    found = check(seed)
    record(f"{backend} seed", found, f"pub {pub.kind}, lan {lan.kind}, "
                                     f"isolation {seed.isolation_drops()}")
    assert pub.kind == "timeout" and not pub.connected and lan.kind == "timeout"
    assert set(CODES) <= set(found)
    # the kernel drops the SYN before FORWARD (the isolation chains never see it): rp_filter
    # is the first failure, and nflint says the isolation drop and the reset are stacked.
    assert seed.isolation_drops() == 0
    assert "stacked" not in only(found, "NF103").message
    assert "stacked behind NF103" in only(found, "NF102").message
    assert "stacked behind NF103" in only(found, "NF104").message

    apply_fix(seed.host, only(found, "NF103"))
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record(f"{backend} + NF103 fix", found, f"pub {pub.kind}, isolation "
                                            f"{seed.isolation_drops()}")
    assert pub.kind == "timeout" and seed.isolation_drops() > 0   # now the isolation drop
    assert "NF103" not in found and "stacked" not in only(found, "NF102").message

    apply_fix(seed.host, only(found, "NF102"))
    before = seed.isolation_drops()
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record(f"{backend} + NF102 fix", found, f"pub {pub.kind} (handshake {pub.connected})")
    assert pub.kind == "reset" and pub.connected and seed.isolation_drops() == before
    assert "NF102" not in found and "stacked" not in only(found, "NF104").message

    apply_fix(seed.host, only(found, "NF104"))
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record(f"{backend} + NF104 fix", found, f"pub {pub.kind}")
    assert pub.kind == "ok"
    assert not {"NF101", "NF102", "NF103", "NF104"} & set(found)

    apply_fix(seed.host, only(found, "NF105"))
    lan = seed.ha_to_lan(TIMEOUT)
    found = check(seed)
    record(f"{backend} + NF105 fix", found, f"lan {lan.kind}")
    assert lan.kind == "ok" and "NF105" not in found


@pytest.mark.parametrize("backend", ["iptables-nft", "nft"])
def test_one_fix_and_bridge_nf_off(seed_host, backend):
    """NF101's fix alone (the seed's NOTRACK) makes the published port work and silences
    NF101-NF104, not NF105; bridge-nf-call-iptables=0 silences all five."""
    seed = seed_host(Variant(backend), tag="a")
    off = seed_host(Variant(backend, bridge_nf_call_iptables=0), tag="b")
    found = check(seed)
    cmds = apply_fix(seed.host, only(found, "NF101"))
    assert any("notrack" in c.lower() for c in cmds)
    pub, lan, pub_off, lan_off = (seed.ha_to_published(TIMEOUT), seed.ha_to_lan(TIMEOUT),
                                  off.ha_to_published(TIMEOUT), off.ha_to_lan(TIMEOUT))
    found, found_off = check(seed), check(off)
    record(f"{backend} + NF101 fix only", found, f"pub {pub.kind}, lan {lan.kind}")
    record(f"{backend} bridge-nf-call-iptables=0", found_off,
           f"pub {pub_off.kind}, lan {lan_off.kind}")
    assert pub.kind == "ok" and lan.kind == "timeout"
    assert set(found) & set(CODES) == {"NF105"}
    assert pub_off.kind == "ok" and lan_off.kind == "ok"
    assert not set(found_off) & set(CODES)


def test_docker29_has_no_isolation_step(seed_host):
    """Docker 29's nftables table (no isolation chains, FORWARD policy accept): NF102 and NF105
    stay quiet, and the kernel agrees (the rp_filter fix leads straight to the reset; the LAN
    flow works)."""
    seed = seed_host(Variant("docker29-nft"))
    pub, lan = seed.ha_to_published(TIMEOUT), seed.ha_to_lan(TIMEOUT)
    found = check(seed)
    record("docker29-nft seed", found, f"pub {pub.kind}, lan {lan.kind}")
    assert pub.kind == "timeout" and lan.kind == "ok"
    assert set(found) & set(CODES) == {"NF101", "NF103", "NF104"}
    assert "stacked behind NF103 (" in only(found, "NF104").message
    apply_fix(seed.host, only(found, "NF103"))
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record("docker29-nft + NF103 fix", found, f"pub {pub.kind} (handshake {pub.connected})")
    assert pub.kind == "reset" and "stacked" not in only(found, "NF104").message
    apply_fix(seed.host, only(found, "NF104"))
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record("docker29-nft + NF104 fix", found, f"pub {pub.kind}")
    assert pub.kind == "ok" and not set(found) & set(CODES)


def test_zone_on_one_bridge_alone_does_not_separate_the_passes(seed_host):
    """`-i br-lan137 -j CT --zone 1` puts both directions' passes over br-lan137 in zone 1: the
    kernel still resets, and NF104 still fires (a zone helps only when it splits the passes)."""
    seed = seed_host(Variant("iptables-nft", rp_filter=0, bypass_isolation=True))
    seed.host.run(["iptables", "-t", "raw", "-I", "PREROUTING", "1", "-i", "br-lan137", "-j",
                   "CT", "--zone", "1"])
    pub = seed.ha_to_published(TIMEOUT)
    found = check(seed)
    record("iptables-nft rp0+bypass+CT zone 1", found, f"pub {pub.kind}")
    assert pub.kind == "reset"
    assert "stacked" not in only(found, "NF104").message


def first_failure(found: dict) -> str | None:
    """The code nflint reports as the first failure of ha -> the published port."""
    first = [c for c in ("NF103", "NF102", "NF104")
             if any("stacked" not in d.message for d in found.get(c, ()))]
    assert len(first) <= 1, first
    return first[0] if first else None


def kernel_failure(pub, isolation_drops: int) -> str | None:
    """The same, as the kernel shows it: dropped before FORWARD (the isolation counters stay
    0), dropped by isolation, or reset after the handshake."""
    if pub.kind == "ok":
        return None
    if pub.kind == "reset" and pub.connected:
        return "NF104"
    if pub.kind == "timeout" and not pub.connected:
        return "NF102" if isolation_drops else "NF103"
    return f"unexpected {pub}"


STATES = {
    "rp_filter 0": Variant(rp_filter=0),
    "rp_filter 0 + isolation bypass": Variant(rp_filter=0, bypass_isolation=True),
    "address on br-lan137": Variant(lan137_address="203.0.113.137/32"),
    "address + isolation bypass": Variant(lan137_address="203.0.113.137/32",
                                          bypass_isolation=True),
    "NOTRACK on br-lan137": Variant(notrack=True),
}


def test_first_failure_agrees_with_the_kernel(seed_host):
    """Intermediate states of the seed, built side by side: the failure nflint reports first
    is the one the kernel shows."""
    from .lab import tcp_connect_many
    from .seed000 import HOST_LAN_IP, PUBLISHED_PORT
    seeds = {name: seed_host(v, tag=f"s{i}") for i, (name, v) in enumerate(STATES.items())}
    outcomes = tcp_connect_many([(s.ha, None, HOST_LAN_IP, PUBLISHED_PORT)
                                 for s in seeds.values()], TIMEOUT)
    for (name, seed), pub in zip(seeds.items(), outcomes):
        found = check(seed)
        drops = seed.isolation_drops()
        record(f"iptables-nft {name}", found, f"pub {pub.kind}, isolation {drops}")
        assert first_failure(found) == kernel_failure(pub, drops), (name, pub, drops)
