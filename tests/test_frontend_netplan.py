"""netplan frontend: bridges, members, veth peers, addresses, routes; mis-indented YAML."""

from corpus import SEED000, block_at, seed_text
from nflint.frontends import get
from nflint.host import HostBuilder

parse = get("netplan")

CLEAN = """\
network:
  version: 2
  renderer: networkd
  ethernets:
    eno1:
      dhcp4: false
      mtu: 9000
  bonds:
    bond0:
      interfaces: [eno2, eno3]
  vlans:
    vlan100:
      id: 100
      link: bond0
      addresses: [198.51.100.9/24]
  bridges:
    br0:
      interfaces: [eno1, veth-a]
      addresses:
        - 192.0.2.10/24
        - "2001:db8::10/64":
            label: "br0:v6"
      gateway4: 192.0.2.1
      routes:
        - to: 203.0.113.0/24
          via: 192.0.2.254
          metric: 50
        - to: 0.0.0.0/0
          via: 192.0.2.1
          table: 100
  virtual-ethernets:
    veth-a:
      peer: veth-b
  tunnels:
    wg0:
      mode: wireguard
"""


def by_name(c):
    return {i.name: i for i in c.interfaces}


def test_clean_netplan():
    c = parse(CLEAN, "01-netcfg.yaml", line_offset=20)
    assert not c.problems and not c.assumptions
    by = by_name(c)
    assert by["br0"].kind == "bridge"
    assert [str(a) for a in by["br0"].addresses] == ["192.0.2.10/24", "2001:db8::10/64"]
    assert by["eno1"].master == "br0" and by["eno1"].kind == "ether" and by["eno1"].mtu == 9000
    assert by["eno2"].master == "bond0" and by["bond0"].kind == "bond"
    assert by["vlan100"].kind == "vlan" and by["wg0"].kind == "wireguard"
    # a peer that is only named as a peer still becomes a veth, pointing back
    assert (by["veth-a"].kind, by["veth-a"].peer, by["veth-a"].master) == ("veth", "veth-b", "br0")
    assert (by["veth-b"].kind, by["veth-b"].peer) == ("veth", "veth-a")
    assert all(i.sources == ("netplan",) for i in c.interfaces)
    span = by["br0"].span
    assert (span.line, span.column, span.pointer) == (37, 5, "/network/bridges/br0")
    routes = [(r.dst, r.via, r.dev, r.metric, r.table) for r in c.routes]
    assert routes == [("default", "192.0.2.1", "br0", None, "main"),
                      ("203.0.113.0/24", "192.0.2.254", "br0", 50, "main"),
                      ("default", "192.0.2.1", "br0", None, "100")]


SEED_LIKE = """\
network:
  version: 2
  bridges:
    br-mellanox:
      addresses:
        - 192.0.2.250/24
      interfaces:
        - eno1
        - veth-lan137-2
    br-lan137:
      interfaces:
        - veth-lan137-1
  virtual-ethernets:
    veth-lan137-1:
      peer: veth-lan137-2
    veth-lan137-2:
      peer: veth-lan137-1
 ethernets:
    eno1:
      optional: true
      dhcp4: false
"""


def test_misindented_block_is_reported_then_repaired():
    c = parse(SEED_LIKE, "paste", line_offset=100)
    [p] = c.problems
    assert (p.code, p.span.line, p.span.column) == ("NF001", 118, 2)
    assert "invalid netplan YAML" in p.message
    assert any("repair" in a and "118" in a for a in c.assumptions)
    by = by_name(c)
    assert by["veth-lan137-1"].master == "br-lan137" and by["veth-lan137-1"].peer == "veth-lan137-2"
    assert by["veth-lan137-2"].master == "br-mellanox" and by["veth-lan137-2"].peer == "veth-lan137-1"
    assert by["br-lan137"].addresses == () and by["br-lan137"].kind == "bridge"
    assert by["eno1"].kind == "ether"  # the repaired block was kept, not dropped
    assert by["br-lan137"].span.line == 110


def test_unrepairable_tail_is_dropped_and_the_rest_kept():
    text = "network:\n  bridges:\n    br0:\n      interfaces: [eth0]\n  ethernets: [unclosed\n"
    c = parse(text, "p")
    assert c.problems and c.problems[0].code == "NF001"
    assert by_name(c)["eth0"].master == "br0"


def test_schema_problems_point_at_the_value():
    text = "network:\n  version: 2\n  bridges:\n    br0:\n      interfaces: eth0\n      mtu: big\n"
    c = parse(text, "p")
    lines = sorted((p.span.line, p.span.pointer) for p in c.problems)
    assert lines == [(5, "/network/bridges/br0/interfaces"), (6, "/network/bridges/br0/mtu")]
    assert [i.name for i in c.interfaces] == ["br0"]  # no members made of letters of "eth0"


def test_bad_address_is_reported():
    c = parse("network:\n  ethernets:\n    eth0:\n      addresses: [192.0.2.300/24]\n", "p")
    [p] = c.problems
    assert p.span.line == 4 and "192.0.2.300/24" in p.message


def test_seed_netplan_gives_the_veth_pair():
    text = seed_text(SEED000)
    block, offset = block_at(text, "network:\n  version: 2")
    c = parse(block, "seed000", line_offset=offset)
    [p] = c.problems
    assert text.splitlines()[p.span.line - 1] == " ethernets:"
    b = HostBuilder()
    b.add(c)
    host = b.build()
    assert {i.name for i in host.ports_of("br-lan137")} == {"veth-lan137-1"}
    assert {i.name for i in host.ports_of("br-mellanox")} == {"eno1", "veth-lan137-2"}
    assert host.interface("veth-lan137-1").peer == "veth-lan137-2"
    assert [str(a) for a in host.interface("br-mellanox").addresses] == ["192.168.137.250/24"]
    [route] = host.routes
    assert (route.dst, route.via, route.dev) == ("default", "192.168.137.245", "br-mellanox")


def test_set_name_renames_and_match_is_an_assumption():
    text = ("network:\n  ethernets:\n    lan:\n      match: {macaddress: '52:54:00:12:34:56'}\n"
            "      set-name: eth-lan\n    wan:\n      match: {driver: ixgbe}\n"
            "  bridges:\n    br0:\n      interfaces: [lan, wan]\n")
    c = parse(text, "p")
    by = by_name(c)
    assert by["eth-lan"].master == "br0" and "lan" not in by
    assert by["wan"].master == "br0"
    assert any("'wan'" in a for a in c.assumptions)
