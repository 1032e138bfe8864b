"""Does a hook accept every packet of an established connection, whatever its addresses,
ports and devices? Read from the rules, without running a packet.

NF205 asks the engine about the reply of every accepted flow (hundreds on a Docker or
kube-proxy host). When the hook's chains accept `ct state established` before anything could
drop it (the usual leading RELATED,ESTABLISHED accept), no reply can be dropped there and those
runs are skipped. The reading is conservative: any rule that might drop, a goto, a verdict map
or a NAT action on the path leaves the question to the engine.

It follows the engine's semantics (engine/chain.py, engine/match.py): rules are ANDed matches,
`continue` verdicts and non-verdict actions let the packet go on, a jump to a missing chain is
ignored, a chain's end returns to its caller, and a base chain's end applies its policy
(accept when none is given). A ct state match is decided from the packet's state alone unless
it names SNAT/DNAT, which depend on the connection.
"""
from __future__ import annotations

from nflint.engine import HostIndex
from nflint.host import Host
from nflint.matches import CommentMatch, ConntrackMatch
from nflint.ruleset import Chain, Rule, Table
from nflint.statements import NatAction, Verdict, VerdictMap

ACCEPT_ALL, PASS, UNKNOWN = "accept-all", "pass", "unknown"
NEVER, ALWAYS, MAYBE = "never", "always", "maybe"
MAX_DEPTH = 16  # well under the engine's jump depth limit
MAX_RULES = 5000  # well under the engine's rule-visit budget (a walk over it is a drop)


def established_always_accepted(host: Host, hook: str, family: int) -> bool:
    """True when every entry of the IPv4/IPv6 `hook` is a base chain that accepts (or lets
    through to its accepting policy) every packet in ct state established."""
    entries = HostIndex.of(host).entries("ip", hook, family, None)
    budget = [MAX_RULES]
    for e in entries:
        if e.kind != "chain":
            return False
        table, chain = e.chains[0]
        got = _walk(table, chain, 0, budget)
        if got == UNKNOWN or got == PASS and (chain.policy or "accept") != "accept":
            return False
    return True


def _walk(table: Table, chain: Chain, depth: int, budget: list[int]) -> str:
    """ACCEPT_ALL: every established packet entering `chain` is accepted in it (or below);
    PASS: none is dropped, and those not accepted come back out; UNKNOWN: anything else."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    for rule in chain.rules:
        budget[0] -= 1
        if budget[0] < 0:
            return UNKNOWN
        when = _matches_established(rule)
        if when == NEVER:
            continue
        control = _control(rule)
        if control is None:
            continue
        if not isinstance(control, Verdict):
            return UNKNOWN  # a verdict map or NAT: left to the engine
        kind = control.kind
        if kind == "accept":
            if when == ALWAYS:
                return ACCEPT_ALL
        elif kind == "return":
            if when == ALWAYS:
                return PASS
        elif kind == "jump":
            target = table.chain(control.target or "")
            if target is None:
                continue  # the engine ignores a jump to a missing chain
            below = _walk(table, target, depth + 1, budget)
            if below == UNKNOWN:
                return UNKNOWN
            if below == ACCEPT_ALL and when == ALWAYS:
                return ACCEPT_ALL
        else:
            return UNKNOWN  # drop, reject, queue, goto: may end the packet otherwise
    return PASS


def _control(rule: Rule):
    """The action that decides where a matched rule sends the packet, as engine/chain.py
    applies them in order; None when it goes on to the next rule."""
    for a in rule.actions:
        if isinstance(a, VerdictMap) or isinstance(a, NatAction):
            return a
        if isinstance(a, Verdict) and a.kind != "continue":
            return a
    return None


def _matches_established(rule: Rule) -> str:
    """Whether the rule matches a packet in ct state established: NEVER, ALWAYS (whatever
    else the packet is), or MAYBE."""
    always = True
    for m in rule.matches:
        kind = type(m)
        if kind is CommentMatch:
            continue
        if kind is ConntrackMatch and m.key == "state":
            vals = set(m.values)
            if vals & {"snat", "dnat"} and "established" not in vals:
                always = False  # decided by the connection's NAT status
            elif ("established" in vals) == m.negated:
                return NEVER
            continue
        always = False
    return ALWAYS if always else MAYBE
