"""The first seed's whole story, asked of this machine's kernel.

Each row is one state of the seed host and what the kernel does with three flows: ha -> the
published port on the host's LAN address (the seed's complaint), ha -> another LAN device
(bridged twice), and a LAN device -> the published port (sanity). The rows follow the blog's
steps; /work/shared/research/kernel-facts.md explains each outcome.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import require
from .lab import tcp_connect_many
from .seed000 import (BACKENDS, DOCKER_BR, HA_IP, HOST_LAN_IP, LAN137, LAN_BR, LAN_DEVICE_IP,
                      LAN_PORT, PUBLISHED_PORT, Variant)

TIMEOUT = 1.0       # a working flow answers in milliseconds inside namespaces
SEED = Variant()
DOCKER28 = ("iptables-nft", "iptables-legacy", "nft")
ADDR = "203.0.113.137/32"   # any address on br-lan137 defeats the reverse-path check

# variant -> (ha -> published, ha -> LAN device, isolation drops seen)
DOCKER28_STORY = {
    "seed: rp_filter drops the DNATed flow as martian, before FORWARD":
        (SEED, "timeout", "timeout", False),
    "rp_filter 0 alone: DOCKER-ISOLATION drops it":
        (SEED.but(rp_filter=0), "timeout", "timeout", True),
    "rp_filter 0 and isolation bypassed: handshake, then reset (conntrack clash)":
        (SEED.but(rp_filter=0, bypass_isolation=True), "reset", "timeout", False),
    "NOTRACK on br-lan137 alone: works":
        (SEED.but(notrack=True), "ok", "timeout", False),
    "bridge-nf-call-iptables 0 alone: works":
        (SEED.but(bridge_nf_call_iptables=0), "ok", "ok", False),
    "address on br-lan137: past rp_filter, isolation drops it":
        (SEED.but(lan137_address=ADDR), "timeout", "timeout", True),
    "address on br-lan137 and isolation bypassed: reset":
        (SEED.but(lan137_address=ADDR, bypass_isolation=True), "reset", "timeout", False),
}

# Docker 29's nftables table: no isolation chains and FORWARD policy accept.
DOCKER29_STORY = {
    "seed: martian drop": (SEED, "timeout", "ok", False),
    "rp_filter 0 alone: reset (no isolation step)": (SEED.but(rp_filter=0), "reset", "ok", False),
    "address on br-lan137: reset": (SEED.but(lan137_address=ADDR), "reset", "ok", False),
    "NOTRACK alone: works": (SEED.but(notrack=True), "ok", "ok", False),
    "bridge-nf-call-iptables 0 alone: works":
        (SEED.but(bridge_nf_call_iptables=0), "ok", "ok", False),
}

STORIES = {backend: DOCKER28_STORY for backend in DOCKER28}
STORIES["docker29-nft"] = DOCKER29_STORY


@pytest.mark.parametrize("backend", list(STORIES))
def test_seed_story(seed_host, backend):
    """Every row of the backend's story, built side by side and probed at once (one timeout)."""
    story = STORIES[backend]
    seeds = [seed_host(row[0].but(backend=backend), tag=f"r{i}-")
             for i, row in enumerate(story.values())]
    attempts = []
    for seed in seeds:
        attempts += [(seed.ha, None, HOST_LAN_IP, PUBLISHED_PORT),
                     (seed.ha, None, LAN_DEVICE_IP, LAN_PORT),
                     (seed.lan, None, HOST_LAN_IP, PUBLISHED_PORT)]
    outcomes = tcp_connect_many(attempts, timeout=TIMEOUT)
    expected, observed = [], []
    for i, (name, (_, to_published, to_lan, isolated)) in enumerate(story.items()):
        ha_pub, ha_lan, lan_pub = outcomes[3 * i: 3 * i + 3]
        # A SYN that dies in the host never reaches the container; a reset flow did reach it.
        reached = HA_IP in seeds[i].web_listener.peers()
        expected.append((name, to_published, to_lan, "ok", isolated,
                         to_published in ("ok", "reset")))
        observed.append((name, ha_pub.kind, ha_lan.kind, lan_pub.kind,
                         seeds[i].isolation_drops() > 0, reached))
    header = "row: ha->published, ha->lan, lan->published, isolation drops, server reached"
    assert observed == expected, "\n".join(
        [header] + [f"{'  ' if o == e else '! '}{o}" for o, e in zip(observed, expected)])


def _martians() -> int | None:
    proc = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        return None
    return proc.stdout.count(f"martian source 198.18.0.4 from {HA_IP}, on dev {LAN137}")


def test_untouched_seed_drop_is_the_reverse_path_check(seed_host):
    """The kernel says why (log_martians is per namespace; the log itself is the host's)."""
    seed = seed_host(SEED)
    before = _martians()
    if before is None:
        pytest.skip("dmesg is not readable here")
    seed.host.sysctl("net.ipv4.conf.all.log_martians", 1)
    assert seed.ha_to_published(TIMEOUT).kind == "timeout"
    assert _martians() > before


@pytest.mark.parametrize("backend", DOCKER28)
def test_bridged_lan_traffic_meets_forward_policy_drop(seed_host, backend):
    """Side effect: ha -> a LAN device is bridged through br-mellanox into FORWARD (policy DROP)."""
    seed = seed_host(SEED.but(backend=backend))
    assert seed.ha_to_lan(TIMEOUT).kind == "timeout"
    if backend == "nft":
        return                          # nft shows no counter for a chain policy
    policy = [c for c in seed.counters() if c.chain == "FORWARD" and c.rule == ":policy DROP"]
    assert policy and policy[0].packets > 0


def test_reset_is_the_conntrack_clash_of_the_blog(seed_host):
    """The reply-direction entry at br-lan137 gets a rewritten port (nf_nat null binding)."""
    require("conntrack", "stdbuf")
    seed = seed_host(SEED.but(rp_filter=0, bypass_isolation=True))
    with seed.host.conntrack_events() as events:
        seed.host.run(["sleep", "0.2"])           # let conntrack -E subscribe
        outcome = seed.ha_to_published(TIMEOUT)
        lines = events.stop()
    assert outcome.kind == "reset" and outcome.connected
    first = [ln for ln in lines if "[NEW]" in ln and f"src={HA_IP} dst={HOST_LAN_IP}" in ln]
    assert first and f"src=198.18.0.4 dst={HA_IP} sport={PUBLISHED_PORT}" in first[0]
    clash = [ln for ln in lines if "[NEW]" in ln
             and f"src={HOST_LAN_IP} dst={HA_IP} sport={PUBLISHED_PORT}" in ln]
    assert clash, "\n".join(lines)
    reply_dport = re.findall(r"dport=(\d+)", clash[0])[-1]
    assert reply_dport != str(PUBLISHED_PORT)


@pytest.mark.parametrize("rp_filter, answered_by", [(2, LAN_BR), (0, LAN137)])
def test_arp_flux_once_br_lan137_passes_the_reverse_path_check(seed_host, rp_filter, answered_by):
    seed = seed_host(SEED.but(rp_filter=rp_filter, gateway_mac=None))
    seed.ha_to_published(TIMEOUT)                 # triggers ARP; outcome examined below
    assert seed.learned_gateway() == answered_by


# With ha's frames addressed to br-lan137 itself (ARP flux), the host delivers them locally.
FLUX = {
    "rp_filter 0 and bypass: handshake, then silence": (
        SEED.but(rp_filter=0, bypass_isolation=True), "timeout", True),
    "rp_filter 0 and NOTRACK: the host's own port 5000 answers (nothing listens)": (
        SEED.but(rp_filter=0, notrack=True), "refused", False),
}


@pytest.mark.parametrize("variant, kind, connected", FLUX.values(), ids=list(FLUX))
def test_arp_flux_changes_the_symptom(seed_host, variant, kind, connected):
    seed = seed_host(variant.but(gateway_mac=LAN137))
    outcome = seed.ha_to_published(TIMEOUT)
    assert (outcome.kind, outcome.connected) == (kind, connected), str(outcome)


def test_rulesets_are_the_docker_shapes(seed_host):
    """The loaded Docker 28 rules read back as the seed's listings show them."""
    seed = seed_host(SEED.but(notrack=True))
    saved = seed.host.capture()["iptables-nft-save"]
    for line in (
            "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
            f"-A DOCKER ! -i {DOCKER_BR} -p tcp -m tcp --dport 5000 -j DNAT "
            "--to-destination 198.18.0.4:5000",
            f"-A DOCKER-ISOLATION-STAGE-1 -i {LAN137} ! -o {LAN137} -j DOCKER-ISOLATION-STAGE-2",
            f"-A DOCKER-ISOLATION-STAGE-2 -o {DOCKER_BR} -j DROP",
            ":FORWARD DROP",
            f"-A PREROUTING -i {LAN137} -j NOTRACK"):
        assert line in saved, line
    assert saved.index(f"-i {LAN137} -j NOTRACK") < saved.index("! -i br-da66fb6805df -j DROP")


def test_every_backend_name_builds():
    assert set(BACKENDS) == set(DOCKER28) | {"docker29-nft"}
