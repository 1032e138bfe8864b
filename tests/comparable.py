"""Plain-data views that compare two reads of the same ruleset, leaving out what differs by
design between inputs (spans, handles, raw text, the order nft versions print kinds in)."""
from __future__ import annotations

import dataclasses

NFT_KIND_ORDER = ("table", "chain", "set", "map", "flowtable", "rule")


def comparable_tables(tables) -> list:
    """Tables as nested dicts and lists without spans, handles and raw texts."""
    def strip(x):
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            return {f.name: strip(getattr(x, f.name)) for f in dataclasses.fields(x)
                    if f.name not in ("span", "handle", "raw")}
        if isinstance(x, (list, tuple)):
            return [strip(i) for i in x]
        return x
    return [strip(t) for t in tables]


def comparable_nft_objects(objects: list) -> list:
    """nft -j objects without metainfo and handles, grouped by kind (stable within a kind)."""
    out = []
    for o in objects:
        kind = next(iter(o))
        if kind == "metainfo":
            continue
        body = {k: v for k, v in o[kind].items() if k != "handle"}
        order = NFT_KIND_ORDER.index(kind) if kind in NFT_KIND_ORDER else len(NFT_KIND_ORDER)
        out.append((order, kind, body))
    out.sort(key=lambda x: x[0])
    return [{kind: body} for _, kind, body in out]
