"""The model as plain JSON: generic over the frozen dataclasses, so a new field never needs a
serializer change. Matches and actions carry their class name as "type"."""
from __future__ import annotations

import dataclasses
import enum
import ipaddress

from .host import Host

_IP_TYPES = (ipaddress.IPv4Network, ipaddress.IPv6Network, ipaddress.IPv4Address,
             ipaddress.IPv6Address, ipaddress.IPv4Interface, ipaddress.IPv6Interface)


def to_json(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = to_json(getattr(value, f.name))
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return str(value)
    if isinstance(value, _IP_TYPES):
        return str(value)
    return value


def host_to_json(host: Host) -> dict:
    return to_json(host)
