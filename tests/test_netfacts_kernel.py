"""Against the kernel: what `ip`, `bridge`, `brctl` and `sysctl` print in a real namespace reads
into the same model whether it was captured as text or as `ip -j` JSON.

Builds, inside fresh namespaces of the kernel lab (deleted afterwards, test addresses only): a
bridge with nf_call_iptables on, a veth pair with one end in the bridge, a second veth whose peer
is in another namespace (`@ifN` + link-netnsid), a dummy, addresses and a route.
"""
import json
import shutil

import pytest

from nflint.frontends import get
from nflint.host import HostBuilder
from tests.kernel.conftest import lab, require  # noqa: F401  (lab: skips without root/netns)

pytestmark = pytest.mark.kernel


def build(*contributions):
    b = HostBuilder()
    for c in contributions:
        assert not c.problems, [(p.span, p.message) for p in c.problems]
        b.add(c)
    return b.build()


def facts(host):
    return {i.name: (i.index, i.kind, i.master, i.peer, i.peer_index,
                     sorted(map(str, i.addresses)), i.up, i.mtu)
            for i in host.interfaces}


def routes(contribution):
    return sorted((r.dst, r.dev, r.via, r.table, r.type, r.scope, r.src, r.proto, r.metric)
                  for r in contribution.routes)


@pytest.fixture
def topology(lab):  # noqa: F811
    require("ip", "bridge", "sysctl")
    host, ctr = lab.netns("host"), lab.netns("ctr")
    # no link-local addresses: they appear asynchronously and would race the captures
    host.sysctl("net.ipv6.conf.default.addr_gen_mode", 1)
    host.sysctl("net.ipv6.conf.all.addr_gen_mode", 1)
    host.bridge("br0")
    host.run("ip link set br0 type bridge nf_call_iptables 1")
    host.run("ip link add va type veth peer name vb")
    host.enslave("va", "br0")
    host.up("va")
    host.up("vb")
    lab.veth(host, "vc", ctr, "eth0")
    host.enslave("vc", "br0")
    # the dummy module may be missing (containers, minimal kernels): then no dummy
    if host.run("ip link add dm0 type dummy", check=False).returncode == 0:
        host.up("dm0")
        host.addr("dm0", "203.0.113.1/24")
    host.addr("br0", "192.0.2.1/24")
    host.addr("br0", "2001:db8:1::1/64")
    host.addr("vb", "198.51.100.1/24")
    host.route("198.18.0.0/15", via="198.51.100.2")
    return host, ctr


def capture(ns, cmd):
    return ns.run(cmd, timeout=15).stdout


def test_text_and_json_give_the_same_interfaces(topology):
    host, ctr = topology
    text = build(get("ip-addr")(capture(host, "ip addr"), "ip addr"),
                 get("ip-link")(capture(host, "ip -d link"), "ip -d link"))
    js = build(get("ip-json")(capture(host, "ip -j addr"), "ip -j addr"),
               get("ip-json")(capture(host, "ip -j -d link"), "ip -j -d link"))
    assert facts(text) == facts(js)
    by = text.interface_map
    assert {n: by[n].kind for n in ("lo", "br0", "va", "vb", "vc")} == {
        "lo": "loopback", "br0": "bridge", "va": "veth", "vb": "veth", "vc": "veth"}
    if "dm0" in by:
        assert by["dm0"].kind == "dummy" and [str(a) for a in by["dm0"].addresses] == [
            "203.0.113.1/24"]
    assert (by["va"].master, by["vc"].master, by["vb"].master) == ("br0", "br0", None)
    assert (by["va"].peer, by["vb"].peer) == ("vb", "va")
    assert by["va"].peer_index == by["vb"].index
    ctr_eth0 = json.loads(capture(ctr, "ip -j link show dev eth0"))[0]
    assert by["vc"].peer is None and by["vc"].peer_index == ctr_eth0["ifindex"]
    assert [str(a) for a in by["br0"].addresses] == ["192.0.2.1/24", "2001:db8:1::1/64"]
    assert [str(a) for a in by["vb"].addresses] == ["198.51.100.1/24"]
    for host_model in (text, js):
        br = host_model.interface("br0")
        assert br.bridge_option("nf_call_iptables") == "1"
        assert br.bridge_option("nf_call_ip6tables") in ("0", "1")


def test_text_and_json_give_the_same_routes(topology):
    host, _ = topology
    for cmd, hint in (("ip route", None), ("ip -6 route", None),
                      ("ip route show table local", {"command": "ip route show table local"})):
        jcmd = cmd.replace("ip ", "ip -j ", 1)
        text = get("ip-route")(capture(host, cmd), cmd, hint=hint)
        js = get("ip-json")(capture(host, jcmd), jcmd, hint=hint)
        assert not text.problems and not js.problems
        assert routes(text) == routes(js), cmd
        assert text.routes, cmd
    main = get("ip-route")(capture(host, "ip route"), "ip route")
    via = [r for r in main.routes if r.dst == "198.18.0.0/15"]
    assert [(r.via, r.dev, r.table) for r in via] == [("198.51.100.2", "vb", "main")]
    local = get("ip-route")(capture(host, "ip route show table local"), "t",
                            hint={"command": "ip route show table local"})
    assert ("local", "192.0.2.1", "local") in {(r.type, r.dst, r.table) for r in local.routes}


def test_bridge_link_and_brctl_agree_with_ip_link(topology):
    host, _ = topology
    link = build(get("ip-link")(capture(host, "ip -d link"), "ip -d link"))
    ports = {i.name for i in link.ports_of("br0")}
    assert ports == {"va", "vc"}
    bl = build(get("bridge-link")(capture(host, "bridge link"), "bridge link"))
    assert {i.name for i in bl.ports_of("br0")} == ports
    if shutil.which("brctl"):
        bc = build(get("brctl")(capture(host, "brctl show"), "brctl show"))
        assert {i.name for i in bc.ports_of("br0")} == ports


def test_sysctl_a_of_the_namespace(topology):
    host, _ = topology
    host.sysctl("net.ipv4.conf.br0.rp_filter", 2)
    out = host.run("sysctl -a", check=False, timeout=15).stdout
    c = get("sysctl")(out, "sysctl -a")
    assert not c.problems, [(p.span, p.message) for p in c.problems[:5]]
    model = build(c).sysctls
    assert len(model.given) > 100
    for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter",
                "net.ipv4.conf.br0.rp_filter", "net.ipv4.conf.all.forwarding"):
        assert model.given[key].value == host.sysctl_get(key), key
    value, used = model.rp_filter("br0")
    assert value == max(2, int(host.sysctl_get("net.ipv4.conf.all.rp_filter")))
    assert not any(v.assumed for v in used)


def test_brief_output_agrees_on_addresses_and_peers(topology):
    host, _ = topology
    brief = build(get("ip-addr")(capture(host, "ip -br addr"), "ip -br addr",
                                 hint={"brief": True}))
    js = build(get("ip-json")(capture(host, "ip -j addr"), "ip -j addr"))
    assert {i.name: (sorted(map(str, i.addresses)), i.peer) for i in brief.interfaces} == {
        i.name: (sorted(map(str, i.addresses)), i.peer) for i in js.interfaces}
