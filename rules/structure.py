"""Structural rules: chains and rule order, independent of any packet."""
from __future__ import annotations

from collections import defaultdict

from nflint.containment import rule_covers
from nflint.diagnostics import Fix, Related, Severity
from nflint.fixes import delete_rule, iptables_binary
from nflint.lintrule import LintRule
from nflint.matches import AddressMatch, CommentMatch, InterfaceMatch, PortMatch
from nflint.statements import NatAction, Verdict

from . import rule_index


class UndefinedJumpTarget(LintRule):
    """A jump or goto names a chain that does not exist in its table.

    What it does:
        Finds `-j CHAIN` / `-g CHAIN` (nft `jump`/`goto`) whose target chain is not defined in
        the same table.

    Why it matters:
        `iptables-restore` and `nft -f` refuse the whole ruleset ("Couldn't load target",
        "Could not process rule: No such file or directory"), so nothing of the file is applied.
        In a paste it usually means the dump is truncated or a tool's chains were flushed.

    Example:
        ```
        *filter
        :FORWARD DROP [0:0]
        -A FORWARD -j DOCKER-USER
        COMMIT
        ```

    Use instead:
        ```
        *filter
        :FORWARD DROP [0:0]
        :DOCKER-USER - [0:0]
        -A FORWARD -j DOCKER-USER
        COMMIT
        ```

    Fix:
        Create the chain (`iptables -N CHAIN`, `nft add chain FAMILY TABLE CHAIN`) or correct
        the target name. If a firewall reload wiped a runtime's chains, restart that runtime.

    References:
        - iptables(8), TARGETS; nft(8), VERDICT STATEMENT
        - moby/moby#35043 (firewall-cmd --reload removes DOCKER-USER)
    """

    code = "NF201"
    name = "undefined-jump-target"
    severity = Severity.ERROR

    def check(self, host):
        for table in host.tables:
            missing = rule_index.of(table).undefined_targets()
            if not missing:
                continue  # the usual case: no need to look at a single rule
            for chain in table.chains:
                for rule in chain.rules:
                    for target in rule.jump_targets:
                        if target not in missing:
                            continue
                        if table.backend == "nft":
                            cmd = f"nft add chain {table.family} {table.name} {target}"
                        else:
                            cmd = f"{iptables_binary(table)} -t {table.name} -N {target}"
                        yield self.diagnostic(
                            f"{table.family} {table.name} chain {chain.name} jumps to "
                            f"{target}, which does not exist in that table",
                            rule.span, fix=Fix("create the missing chain", (cmd,)),
                            key=(table.backend, table.family, table.name, chain.name, rule.raw))


def _terminal(rule) -> str | None:
    v = rule.verdict
    if isinstance(v, Verdict) and v.kind in ("accept", "drop", "reject", "return", "goto"):
        return v.kind if v.kind != "goto" else f"goto {v.target}"
    if isinstance(v, NatAction):
        return v.kind
    return None


def _index_keys(matches):
    """Keys under which an earlier terminal rule is filed: one plain address or one port."""
    for m in matches:
        if isinstance(m, AddressMatch) and not m.negated and len(m.networks) == 1:
            return ("addr", m.field, m.networks[0])
    for m in matches:
        if (isinstance(m, PortMatch) and not m.negated and len(m.ranges) == 1
                and m.ranges[0][0] == m.ranges[0][1]):
            return ("port", m.field, m.protocol, m.ranges[0][0])
    return None


def _lookup_keys(matches, prefixes):
    """Every index key an earlier rule covering these matches could have been filed under.
    `prefixes` holds, per (field, IP version), the prefix lengths filed so far: the
    supernets of other lengths (31 of 32 for a kube-proxy /32) would find nothing."""
    for m in matches:
        if isinstance(m, AddressMatch) and not m.negated and len(m.networks) == 1:
            net = m.networks[0]
            for plen in sorted(prefixes.get((m.field, net.version), ()), reverse=True):
                if plen == net.prefixlen:
                    yield ("addr", m.field, net)
                elif plen < net.prefixlen:
                    yield ("addr", m.field, net.supernet(new_prefix=plen))
        if (isinstance(m, PortMatch) and not m.negated and len(m.ranges) == 1
                and m.ranges[0][0] == m.ranges[0][1]):
            yield ("port", m.field, m.protocol, m.ranges[0][0])


def _interfaces_named(matches) -> frozenset:
    """(direction, name) of every positive match on one plain interface (`-i docker0`): by
    containment.covers, such a match covers only a positive match of the same direction whose
    names are all that one (or that lists none)."""
    return frozenset((m.direction, m.names[0]) for m in matches
                     if type(m) is InterfaceMatch and not m.negated and len(m.names) == 1
                     and not m.names[0].endswith(("+", "*")))


def _interfaces_offered(matches) -> set:
    """What a later rule offers to `_interfaces_named`: (direction, name) for a positive match
    naming only that interface, (direction, None) for one naming none (covered by any)."""
    out = set()
    for m in matches:
        if type(m) is InterfaceMatch and not m.negated:
            names = set(m.names)
            if len(names) <= 1:
                out.add((m.direction, next(iter(names), None)))
    return out


def _names_offered(named, offered) -> bool:
    if named <= offered:
        return True
    return any(n is None for _, n in offered) and all(
        (d, n) in offered or (d, None) in offered for d, n in named)


def _shape(matches) -> frozenset:
    return frozenset((type(m).__name__, getattr(m, "field", getattr(m, "direction", "")))
                     for m in matches if not isinstance(m, CommentMatch))


class UnreachableRule(LintRule):
    """A rule that can never match, because an earlier rule in its chain ends every packet it
    would see.

    What it does:
        For each rule, looks for an earlier rule in the same chain with a terminal verdict
        (accept, drop, reject, return, goto, NAT) whose matches cover all of this rule's packets:
        address prefixes that contain this rule's, port ranges that contain its ports, the same
        protocol, interface patterns that include its interfaces, conntrack states that include
        its states.

    Why it matters:
        The later rule is dead: its author meant something to happen to those packets, and it
        never does. A dead ACCEPT hides an outage; a dead DROP hides an exposure.

    Example:
        ```
        -A INPUT -s 192.0.2.0/24 -j ACCEPT
        -A INPUT -s 192.0.2.7/32 -j DROP
        ```

    Use instead:
        ```
        -A INPUT -s 192.0.2.7/32 -j DROP
        -A INPUT -s 192.0.2.0/24 -j ACCEPT
        ```

    Fix:
        Move the narrower rule above the broader one, or delete it if it is obsolete.
        Matches that depend on runtime state (limit, recent, statistic) never shadow.

    References:
        - iptables(8): rules are evaluated in order; the first terminal target ends the chain
        - Batfish filterLineReachability; c0m4r/iptables-analyzer shadowed-rule check
    """

    code = "NF202"
    name = "unreachable-rule"
    severity = Severity.WARNING

    def check(self, host):
        for table in host.tables:
            for chain, start in rule_index.of(table).shadowing_starts:
                yield from self._check_chain(table, chain, start)

    def _check_chain(self, table, chain, start):
        # Rules before `start` end nothing, so nothing before it can cover a later rule.
        # Earlier terminal rules are filed by shape (the kinds of match they use: only a subset
        # shape can cover) and, when they have one, by a plain address or port, so that
        # kube-proxy-sized chains are checked in near-linear time. Each is filed with the
        # interfaces it names, which a later rule must name too (Docker's per-bridge rules).
        unkeyed: dict[frozenset, list] = defaultdict(list)
        keyed: dict[tuple, list] = defaultdict(list)
        prefixes: dict[tuple, set] = defaultdict(set)
        for rule in chain.rules[start:]:
            shape = _shape(rule.matches) if unkeyed else None
            offered = None
            for earlier, named in self._candidates(rule, shape, unkeyed, keyed, prefixes):
                if named:
                    if offered is None:
                        offered = _interfaces_offered(rule.matches)
                    if not _names_offered(named, offered):
                        continue
                if rule_covers(earlier.matches, rule.matches):
                    yield self._report(table, chain, rule, earlier)
                    break
            if _terminal(rule) is None:
                continue
            filed = (rule, _interfaces_named(rule.matches))
            key = _index_keys(rule.matches)
            if key is None:
                unkeyed[shape if shape is not None else _shape(rule.matches)].append(filed)
            else:
                keyed[key].append(filed)
                if key[0] == "addr":
                    prefixes[(key[1], key[2].version)].add(key[2].prefixlen)

    @staticmethod
    def _candidates(rule, shape, unkeyed, keyed, prefixes):
        for earlier_shape, filed in unkeyed.items():
            if earlier_shape <= shape:
                yield from filed
        if keyed:
            for key in _lookup_keys(rule.matches, prefixes):
                yield from keyed.get(key, ())

    def _report(self, table, chain, rule, earlier):
        return self.diagnostic(
            f"this rule can never match: the earlier rule at line {earlier.span.line} of "
            f"{table.family} {table.name} {chain.name} already ends every packet it would see "
            f"({_terminal(earlier)})",
            rule.span,
            related=(Related(earlier.span, f"covers it: {earlier.raw or 'earlier rule'}"),),
            fix=Fix("move this rule above the one that covers it, or delete it",
                    (delete_rule(table, chain.name, rule),)),
            key=(table.backend, table.family, table.name, chain.name, rule.raw))
