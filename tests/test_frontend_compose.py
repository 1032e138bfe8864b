"""docker-compose: fixed container addresses reach the model and merge with the network's bridge."""
from nflint.frontends import compose
from nflint.host import HostBuilder
from nflint.netstate import DockerNetwork
from nflint.sections import split
from nflint.span import Span

COMPOSE = """services:
  homeassistant:
    container_name: ha
    networks:
      lan137:
        ipv4_address: 198.51.100.248
networks:
  lan137:
    external: true
    name: realnet
"""


def test_compose_places_container_on_named_network():
    c = compose.parse(COMPOSE, "x.md", line_offset=10)
    assert not c.problems
    (net,) = c.docker_networks
    assert net.name == "realnet" and net.containers == (("ha", "198.51.100.248"),)
    assert net.span.line == 16


def test_compose_bad_yaml_and_bad_address_are_nf001():
    c = compose.parse("services:\n  a:\n    networks:\n      n:\n        ipv4_address: nope\n",
                      "x")
    assert [p.code for p in c.problems] == ["NF001"] and not c.docker_networks
    c = compose.parse("services: [\n", "x")
    assert [p.code for p in c.problems] == ["NF001"]


def test_network_told_in_parts_is_merged():
    b = HostBuilder()
    from nflint.host import Contribution
    b.add(Contribution(docker_networks=[DockerNetwork("realnet", Span("a"), bridge_name="br-x",
                                                      subnets=("198.51.100.0/24",))]))
    b.add(compose.parse(COMPOSE, "b"))
    (net,) = b.build().docker_networks
    assert net.bridge_name == "br-x" and net.containers == (("ha", "198.51.100.248"),)


def test_sections_detect_compose_by_content():
    text = "Some prose\n\n```yaml\n" + COMPOSE + "```\n"
    fmts = [s.format for s in split(text, "x.md")]
    assert "docker-compose" in fmts
    plain = "```yaml\nservices:\n  web:\n    image: nginx\n```\n"
    assert "docker-compose" not in [s.format for s in split(plain, "y.md")]
