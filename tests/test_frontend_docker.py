"""Docker frontends: `docker network inspect` JSON and pasted `docker network create` commands."""
import json

from corpus import SEED000, SEED002, block_at, seed_text
from nflint.frontends import get

inspect = get("docker-inspect")
create = get("docker-create")


def network(name, net_id, subnet, gateway, options=None, containers=None, **extra):
    return {
        "Name": name, "Id": net_id, "Created": "2025-11-11T10:00:00.000000000Z", "Scope": "local",
        "Driver": "bridge", "EnableIPv4": True, "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None,
                 "Config": [{"Subnet": subnet, "Gateway": gateway}]},
        "Internal": False, "Attachable": False, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
        "Containers": containers or {}, "Options": options or {}, "Labels": {}, **extra,
    }


DEFAULT = network("bridge", "3c1f0d6e2b4a" + "9" * 52, "198.18.0.0/16", "198.18.0.1", {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": "docker0",
    "com.docker.network.driver.mtu": "1500"})
USER = network("web", "da66fb6805df" + "a" * 52, "198.19.0.0/16", "198.19.0.1", containers={
    "0f" * 32: {"Name": "registry", "EndpointID": "ab" * 32, "MacAddress": "02:42:c6:13:00:04",
                "IPv4Address": "198.19.0.4/16", "IPv6Address": ""}})
LAN137 = network("lan137", "77" * 32, "192.0.2.0/24", "192.0.2.245", {
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "false",
    "com.docker.network.bridge.gateway_mode_ipv4": "routed",
    "com.docker.network.bridge.inhibit_ipv4": "true",
    "com.docker.network.bridge.name": "br-lan137",
    "com.docker.network.bridge.trusted_host_interfaces": "tailscale0:wg0",
    "com.docker.network.driver.mtu": "1500"})


def test_inspect_list_of_networks():
    text = json.dumps([DEFAULT, USER, LAN137], indent=4)
    c = inspect(text, "inspect.json", line_offset=7)
    assert not c.problems, c.problems
    nets = {n.name: n for n in c.docker_networks}
    assert {n: x.bridge_name for n, x in nets.items()} == {
        "bridge": "docker0", "web": "br-da66fb6805df", "lan137": "br-lan137"}
    web = nets["web"]
    assert web.subnets == ("198.19.0.0/16",) and web.gateways == ("198.19.0.1",)
    assert web.containers == (("registry", "198.19.0.4/16"),) and web.driver == "bridge"
    lan = nets["lan137"]
    assert lan.option("com.docker.network.bridge.gateway_mode_ipv4") == "routed"
    assert lan.option("com.docker.network.bridge.trusted_host_interfaces") == "tailscale0:wg0"
    assert not lan.internal and not lan.enable_ipv6
    assert lan.span.pointer == "/2" and text.splitlines()[lan.span.line - 8].strip() == "{"


def test_networks_imply_bridges_with_gateway_unless_inhibited():
    c = inspect(json.dumps([DEFAULT, USER, LAN137]), "i")
    by = {i.name: i for i in c.interfaces}
    assert all(i.kind == "bridge" and i.sources == ("docker",) for i in by.values())
    assert [str(a) for a in by["docker0"].addresses] == ["198.18.0.1/16"]
    assert [str(a) for a in by["br-da66fb6805df"].addresses] == ["198.19.0.1/16"]
    assert by["br-lan137"].addresses == () and by["br-lan137"].mtu == 1500


def test_single_object_and_ipv6_gateway():
    net = network("v6", "12" * 32, "198.18.5.0/24", "198.18.5.1", EnableIPv6=True)
    net["IPAM"]["Config"].append({"Subnet": "2001:db8:1::/64", "Gateway": "2001:db8:1::1"})
    c = inspect(json.dumps(net), "i")
    [n] = c.docker_networks
    assert n.enable_ipv6 and n.subnets == ("198.18.5.0/24", "2001:db8:1::/64")
    assert [str(a) for a in c.interfaces[0].addresses] == ["198.18.5.1/24", "2001:db8:1::1/64"]


def test_non_bridge_driver_has_no_bridge():
    net = network("hostnet", "34" * 32, "198.18.9.0/24", "198.18.9.1", Driver="macvlan")
    c = inspect(json.dumps([net]), "i")
    assert c.docker_networks[0].bridge_name is None and not c.interfaces


def test_schema_violation_skips_that_network_only():
    bad = dict(USER, Internal="no")
    c = inspect(json.dumps([DEFAULT, bad], indent=2), "i", line_offset=3)
    assert [n.name for n in c.docker_networks] == ["bridge"]
    [p] = c.problems
    assert p.code == "NF001" and p.span.pointer == "/1/Internal" and p.span.line > 3


def test_seed_mangled_inspect_is_read_by_best_effort():
    text = seed_text(SEED002)
    block, offset = block_at(text, '        "Name": "infraserv_infranet"', "\nAddress family")
    c = inspect(block, "seed002", line_offset=offset)
    [p] = c.problems
    assert p.code == "NF001" and p.span.line == offset + 1
    [n] = c.docker_networks
    assert n.name == "infraserv_infranet" and n.id.startswith("7ed8face2e4f")
    assert n.driver == "bridge" and not n.internal and not n.enable_ipv6
    assert [name for name, _ in n.containers] == ["radius", "syslog", "proxy", "dhcp"]
    # the options lost their keys in the paste: the bridge name (docker1) cannot be known
    assert n.bridge_name is None and not c.interfaces
    assert any("empty key" in a for a in c.assumptions)
    assert text.splitlines()[n.span.line - 1].strip().startswith('"Name": "infraserv_infranet"')


def test_best_effort_reads_a_network_without_braces():
    text = """\
        "Name": "lan",
        "Id": "5566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344",
        "Driver": "bridge",
        "IPAM": {
            "Config": [
                    "Subnet": "198.18.7.0/24",
                    "Gateway": "198.18.7.1"
        "Internal": true,
        "Options": {
            "com.docker.network.bridge.name": "br-lan"
"""
    c = inspect(text, "p")
    [n] = c.docker_networks
    assert (n.bridge_name, n.subnets, n.gateways, n.internal) == (
        "br-lan", ("198.18.7.0/24",), ("198.18.7.1",), True)


SEED_CREATE = """\
docker network create \\
    --driver bridge \\
    --subnet 192.168.137.0/24 \\
    --gateway 192.168.137.245 \\
    -o com.docker.network.bridge.enable_icc=true \\
    -o com.docker.network.bridge.enable_ip_masquerade=false \\
    -o com.docker.network.bridge.gateway_mode_ipv4=routed  \\
    -o com.docker.network.driver.mtu=1500 \\
    -o com.docker.network.bridge.name=br-lan137 \\
    -o com.docker.network.bridge.inhibit_ipv4=true \\
    lan137
"""


def test_create_command_like_the_seed():
    c = create(SEED_CREATE, "thread", line_offset=40)
    assert not c.problems and not c.assumptions
    [n] = c.docker_networks
    assert (n.name, n.driver, n.bridge_name) == ("lan137", "bridge", "br-lan137")
    assert n.subnets == ("192.168.137.0/24",) and n.gateways == ("192.168.137.245",)
    assert n.option("com.docker.network.bridge.inhibit_ipv4") == "true"
    assert n.option("com.docker.network.bridge.gateway_mode_ipv4") == "routed"
    assert (n.span.line, n.span.end_line) == (41, 51)
    [br] = c.interfaces
    assert br.name == "br-lan137" and br.kind == "bridge" and br.addresses == ()


def test_create_variants():
    text = ("$ sudo docker network create --driver=bridge --subnet=198.18.3.0/24 "
            "--gateway=198.18.3.1 --internal --ipv6 --opt com.docker.network.bridge.name=br-x "
            "--label a=b --frobnicate backend\n"
            "docker network create plain\n"
            "docker network create -o\n"
            "docker run -d nginx\n")
    c = create(text, "t", line_offset=2)
    nets = {n.name: n for n in c.docker_networks}
    assert set(nets) == {"backend", "plain"}
    b = nets["backend"]
    assert b.internal and b.enable_ipv6 and b.bridge_name == "br-x" and b.subnets == (
        "198.18.3.0/24",)
    assert [str(a) for a in c.interfaces[0].addresses] == ["198.18.3.1/24"]
    assert nets["plain"].driver == "bridge" and nets["plain"].bridge_name is None
    assert any("--frobnicate" in a for a in c.assumptions)
    assert sorted(p.span.line for p in c.problems) == [5, 6]
    assert all(p.code == "NF001" for p in c.problems)


def test_seed_create_from_the_thread():
    text = seed_text(SEED000)
    block, offset = block_at(text, "docker network create \\")
    c = create(block, "seed000", line_offset=offset)
    [n] = c.docker_networks
    assert n.bridge_name == "br-lan137"
    assert text.splitlines()[n.span.line - 1].startswith("docker network create")


def test_ipv4_disabled_network_leaves_the_bridge_without_ipv4():
    net = network("v6only", "56" * 32, "198.18.6.0/24", "198.18.6.1", EnableIPv4=False)
    c = inspect(json.dumps([net]), "i")
    assert c.interfaces[0].addresses == ()
    c = create("docker network create --ipv4=false --subnet 198.18.8.0/24 --gateway 198.18.8.1 "
               "-o com.docker.network.bridge.name=br-v6 v6only\n", "t")
    assert c.interfaces[0].addresses == () and c.docker_networks[0].gateways == ("198.18.8.1",)


def test_container_inspect_is_not_a_network():
    ctr = {"Id": "ef" * 32, "Name": "/registry", "State": {"Running": True},
           "NetworkSettings": {"Networks": {"web": {"IPAddress": "198.19.0.4"}}}}
    c = inspect(json.dumps([ctr]), "i")
    assert not c.docker_networks and not c.interfaces and not c.problems
    assert any("container object" in a for a in c.assumptions)
