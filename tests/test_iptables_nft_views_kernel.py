"""A Docker-like iptables-nft ruleset with negations, multiport, comments and kube-proxy's
mark arithmetic, loaded in a throw-away namespace: `nft list ruleset`, `nft -j list ruleset` and iptables-nft-save must all
read without NF001, and give the same chains, rule counts and verdicts."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from nflint.frontends import iptables_save, nft_json, nft_text
from tests.rulesets import DOCKER_NAT_HEAD

pytestmark = pytest.mark.kernel

RULES = DOCKER_NAT_HEAD + """\
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 198.18.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -m addrtype ! --src-type LOCAL -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A POSTROUTING -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -p udp -m multiport --dports 53,5353 -m comment --comment "dns in" -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80:90,443 -j ACCEPT
-A INPUT ! -s 192.0.2.0/24 -p tcp --dport 25 -j DROP
-A INPUT -m conntrack ! --ctstate RELATED,ESTABLISHED -p tcp --dport 3306 -j REJECT
-A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A DOCKER -d 198.18.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-USER -p tcp -m multiport ! --sports 1000:2000 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
"""


def _run(ns, *cmd, stdin=None):
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], input=stdin, text=True,
                          capture_output=True, timeout=30, check=True).stdout


@pytest.fixture(scope="module")
def views():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    for tool in ("ip", "nft", "iptables-nft-restore", "iptables-nft-save"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    ns = f"nfl-fid-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=10)
    try:
        try:
            _run(ns, "iptables-nft-restore", stdin=RULES)
        except subprocess.CalledProcessError as e:
            pytest.skip(f"iptables-nft-restore refused the ruleset: {e.stderr.strip()}")
        return {"text": nft_text.parse(_run(ns, "nft", "list", "ruleset"), "l.nft"),
                "json": nft_json.parse(_run(ns, "nft", "-j", "list", "ruleset"), "l.json"),
                "save": iptables_save.parse(_run(ns, "iptables-nft-save"), "s.rules")}
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=10)


def _shape(c):
    """Chains and the kind of each rule's verdict (nft -j drops xt target options)."""
    return {(t.family, t.name, ch.name): [getattr(r.verdict, "kind", None) for r in ch.rules]
            for t in c.tables for ch in t.chains}


@pytest.mark.parametrize("view", ["text", "json", "save"])
def test_every_view_reads_without_syntax_errors(views, view):
    assert not [p.message for p in views[view].problems if p.code == "NF001"]


@pytest.mark.parametrize("view", ["text", "json"])
def test_nft_views_agree_with_iptables_save(views, view):
    assert _shape(views[view]) == _shape(views["save"])


def test_mark_arithmetic_reads_alike_in_nft_text_and_iptables_save(views):
    """nft prints kube-proxy's `--or-mark`/`--xor-mark` as `meta mark set mark or 0x4000`."""
    from nflint.statements import MarkAction

    def marks(c):
        return {ch.name: [a for r in ch.rules for a in r.actions if isinstance(a, MarkAction)]
                for t in c.tables if t.name == "nat" for ch in t.chains}
    save = marks(views["save"])
    assert save["KUBE-MARK-MASQ"] and save["KUBE-POSTROUTING"]
    assert marks(views["text"]) == save
