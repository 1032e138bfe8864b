"""docker-compose YAML: which container holds which fixed address on which Docker network.

Often the only place a paste names a container's address: the founding case's container
(192.168.137.248 on lan137) appears nowhere but in its compose file. Only
`services.*.networks.NET.ipv4_address` (and ipv6_address) is read; the network's bridge and
subnet come from `docker network create`/`inspect` (merged by network name in the host model).
"""
from __future__ import annotations

import ipaddress

import yaml

from ..host import Contribution
from ..netstate import DockerNetwork
from ..span import Span
from .positions import syntax_error


def _mapping(node: object) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: object) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def parse(text: str, source: str, *, line_offset: int = 0,
          hint: dict | None = None) -> Contribution:
    c = Contribution(fidelity="docker-compose")
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        c.problems.append(syntax_error(source, line, col, f"invalid docker-compose YAML: "
                                       f"{getattr(exc, 'problem', None) or exc}",
                                       line_offset=line_offset))
        return c
    top = _mapping(root)
    # compose key of a network -> the Docker network's real name (`name:` of an external one)
    real = {key: _scalar(_mapping(v).get("name")) or key
            for key, v in _mapping(top.get("networks")).items()}
    members: dict[str, list[tuple[str, str]]] = {}
    spans: dict[str, Span] = {}
    for sname, svc in _mapping(top.get("services")).items():
        fields = _mapping(svc)
        cname = _scalar(fields.get("container_name")) or sname
        for key, cfg in _mapping(fields.get("networks")).items():
            for akey in ("ipv4_address", "ipv6_address"):
                node = _mapping(cfg).get(akey)
                value = _scalar(node)
                if value is None:
                    continue
                span = Span(source, node.start_mark.line + 1 + line_offset,
                            node.start_mark.column + 1)
                try:
                    ipaddress.ip_address(value)
                except ValueError:
                    c.problems.append(syntax_error(
                        source, node.start_mark.line + 1, node.start_mark.column + 1,
                        f"{akey} of service {sname}: expected an IP address, got {value!r}",
                        line_offset=line_offset))
                    continue
                name = real.get(key, key)
                members.setdefault(name, []).append((cname, value))
                spans.setdefault(name, span)
    for name, containers in members.items():
        c.docker_networks.append(DockerNetwork(name, spans[name],
                                               containers=tuple(containers)))
    return c
