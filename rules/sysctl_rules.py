"""Kernel parameters that break forwarding or make a setting dead, read the way the kernel
combines them (rp_filter: max of all and the interface; forwarding: the input link's value)."""
from __future__ import annotations

import ipaddress

from nflint.diagnostics import Fix, Related, Severity
from nflint.engine import Flow, HostIndex, simulate
from nflint.fixes import set_sysctl
from nflint.lintrule import LintRule

from . import rule_index
from .model_queries import (describe_sysctl, local_addresses, nat_address, nat_rules,
                            outside_address, sysctl_related)

_RPF_MEANING = {0: "off", 1: "strict", 2: "loose"}


class RpFilterOverrideIneffective(LintRule):
    """An interface's rp_filter is set lower than `conf.all.rp_filter`: the kernel uses the
    higher of the two, so the interface setting does nothing.

    What it does:
        Compares every given `net.ipv4.conf.<if>.rp_filter` (and `conf.default`, which new
        interfaces copy) with the given `net.ipv4.conf.all.rp_filter`. When the interface value is
        lower, the effective value is still `all`'s (Documentation/networking/ip-sysctl.rst: "The
        max value from conf/{all,interface}/rp_filter is used").

    Why it matters:
        The classic trap: `sysctl -w net.ipv4.conf.br-lan137.rp_filter=0` to stop "martian
        source" drops on an address-less bridge, while `all` stays 2 (Ubuntu, systemd's
        50-default.conf). The drops go on, and the setting that was meant to fix them looks
        applied. Loopback is not checked.

    Example (bad):
        ```
        net.ipv4.conf.all.rp_filter = 2
        net.ipv4.conf.br-lan.rp_filter = 0
        ```

    Use instead (good):
        ```
        net.ipv4.conf.all.rp_filter = 0
        net.ipv4.conf.br-lan.rp_filter = 0
        ```
        and, if other interfaces need the check, set them to 1 or 2 one by one.

    Fix:
        Lower `all` too (`sysctl -w net.ipv4.conf.all.rp_filter=0`) and raise the interfaces
        that should keep the check individually; or delete the dead interface line. Persist in
        /etc/sysctl.d/.

    References:
        - Documentation/networking/ip-sysctl.rst, rp_filter
        - tkestack/galaxy#119 ("The max value from conf/{all,interface}/rp_filter is used")
        - cilium/cilium#10645 (systemd 245 rp_filter defaults break pod traffic)
    """

    code = "NF402"
    name = "rp-filter-override-ineffective"
    severity = Severity.WARNING

    def check(self, host):
        given = host.sysctls.given
        all_v = given.get("net.ipv4.conf.all.rp_filter")
        if all_v is None or all_v.as_int is None or all_v.as_int == 0:
            return
        for key, v in given.items():
            if not (key.startswith("net.ipv4.conf.") and key.endswith(".rp_filter")):
                continue
            iface = key[len("net.ipv4.conf."):-len(".rp_filter")]
            if iface in ("all", "lo") or v.as_int is None or v.as_int >= all_v.as_int:
                continue
            eff = all_v.as_int
            who = "new interfaces (conf.default)" if iface == "default" else iface
            how = "set by command" if v.reason.startswith("set by command") else "given"
            yield self.diagnostic(
                f"{key} = {v.value} ({how}) has no effect: the kernel uses the higher of "
                f"conf.all and the interface, so rp_filter on {who} is still {eff} "
                f"({_RPF_MEANING.get(eff, eff)}) from net.ipv4.conf.all.rp_filter = "
                f"{all_v.value}",
                v.span,
                related=sysctl_related([all_v], "wins: the effective value is the max"),
                fix=Fix(f"lower conf.all as well (then raise other interfaces that need the "
                        f"check one by one), or delete the dead {key} line",
                        set_sysctl(("net.ipv4.conf.all.rp_filter", v.value), (key, v.value))),
                key=(key, v.value, all_v.value))


class IpForwardDisabled(LintRule):
    """Forwarding is off while NAT rules only make sense for routed traffic: published ports
    and NATed subnets are dead.

    What it does:
        Looks for given `net.ipv4.ip_forward = 0` / `net.ipv4.conf.all.forwarding = 0`, a given
        per-link `net.ipv4.conf.<if>.forwarding = 0`, or `net.ipv6.conf.all.forwarding = 0`,
        while the ruleset of that family has DNAT to a non-local address or MASQUERADE/SNAT (so
        forwarded traffic is expected). When the interfaces are known it simulates a published
        port from outside (and a NATed subnet talking out) with the engine and reports the
        device where the routing decision drops the packet ("forwarding-disabled"). Only given
        values count: an assumed default never fires.

    Why it matters:
        The kernel routes a packet received on a link only if forwarding is on for that link
        (`IN_DEV_FORWARD`), so DNATed connections die silently after PREROUTING and containers
        or VMs reach the host but nothing beyond. Docker warns "IPv4 forwarding is disabled.
        Networking will not work"; CIS-hardening files setting `ip_forward = 0` race the daemon;
        systemd-networkd turns forwarding off per link.

    Example (bad):
        ```
        net.ipv4.ip_forward = 0
        -A DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
        ```

    Use instead (good):
        ```
        net.ipv4.ip_forward = 1
        ```
        with the forward chain filtering what should not be routed.

    Fix:
        `sysctl -w net.ipv4.ip_forward=1` (IPv6: `net.ipv6.conf.all.forwarding=1`) and persist it
        in /etc/sysctl.d/ (remove the hardening line that sets 0), or `IPForward=yes` in the
        systemd-networkd `.network` file of the link. Then filter unwanted forwarding
        explicitly.

    References:
        - Documentation/networking/ip-sysctl.rst, ip_forward and conf/*/forwarding
        - moby/moby#47966 (CIS sysctl `ip_forward = 0` re-applied by systemd-sysctl)
        - moby/moby#50646 (nftables backend refuses to start when forwarding is off)
        - moby/moby#14185 (systemd-networkd turns forwarding off per interface)
    """

    code = "NF401"
    name = "ip-forward-disabled"
    severity = Severity.ERROR

    def check(self, host):
        for family in (4, 6):
            yield from self._family(host, family)

    def _family(self, host, family):
        given = host.sysctls.given
        net = "ipv4" if family == 4 else "ipv6"
        global_keys = (["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"] if family == 4
                       else ["net.ipv6.conf.all.forwarding"])
        off = [given[k] for k in global_keys if k in given and given[k].as_int == 0]
        on = [given[k] for k in global_keys if k in given and given[k].as_int == 1]
        # Writing ip_forward or conf.all copies to every link: the last one written wins, and
        # a dump shows them equal. Disagreeing given values: trust the per-link evaluation.
        all_off = bool(off and not on)
        links = [] if all_off else list(_links_off(host, given, net))
        if not all_off and not links:
            return  # forwarding is on (or not dumped): no need to look for NAT at all
        needs = list(_nat_needing_forwarding(host, family))
        if not needs:
            return
        if all_off:
            trace = self._probe(host, family, needs, None)
            yield self._report(host, family, off[0], needs, trace, None)
        for iface, v in links:
            trace = self._probe(host, family, needs, iface)
            if trace is None:
                continue  # no NAT path enters on this link: the setting may be deliberate
            yield self._report(host, family, v, needs, trace, iface)

    def _probe(self, host, family, needs, iface):
        """A flow that needs forwarding and dies on it (optionally: entering on `iface`)."""
        if not host.interfaces:
            return None
        for flow in _probe_flows(host, family, needs):
            try:
                trace = simulate(host, flow, max_branches=4)
            except Exception:  # the engine must never take the finding down with it
                continue
            for t in trace.branches:
                for p in t.packets:
                    f = p.fate
                    if f.reason == "forwarding-disabled" and (iface is None or
                                                              f.device == iface):
                        return t, p
        return None

    def _report(self, host, family, v, needs, probe, iface):
        kinds = sorted({n.kind for _, _, _, n, _ in needs})
        related = [Related(r.span, f"needs forwarding: {r.raw or n.kind}")
                   for _, _, r, n, _ in needs[:3]]
        where = f"on {iface}" if iface else "for every link"
        msg = (f"{'IPv4' if family == 4 else 'IPv6'} forwarding is off {where} "
               f"({describe_sysctl(v)}), but the ruleset has "
               f"{' and '.join(k.upper() for k in kinds)} rules for traffic that must be routed")
        if probe is not None:
            trace, packet = probe
            msg += (f": {trace.flow.label()} ({packet.role}) is dropped at the routing decision "
                    f"on {packet.fate.device} (forwarding-disabled)")
            nat_steps = [s for s in trace.all_steps() if s.kind == "nat" and s.changes]
            if nat_steps:
                msg += f" after {nat_steps[0].changes[0]}"
        else:
            msg += ": published ports and NATed subnets cannot work"
        key = v.key
        value = "1"
        cmds = set_sysctl((key, value)) if key != "net.ipv4.conf.all.forwarding" else \
            set_sysctl(("net.ipv4.ip_forward", "1"))
        if iface:
            cmds = cmds + (f"# systemd-networkd: IPForward=yes in the .network file of {iface}",)
        return self.diagnostic(msg, v.span, related=related,
                               fix=Fix(f"turn forwarding on {where} and persist it",
                                       cmds),
                               key=(key, str(family)))


def _links_off(host, given, net):
    """(interface, value) of every given `conf.IFACE.forwarding = 0` for a link the dumps
    show."""
    prefix, suffix = f"net.{net}.conf.", ".forwarding"
    for key, v in given.items():
        if not (key.startswith(prefix) and key.endswith(suffix)) or v.as_int != 0:
            continue
        iface = key[len(prefix):-len(suffix)]
        if iface in ("all", "default", "lo"):
            continue
        if host.interface(iface) is None:
            continue  # a link the dumps do not otherwise show: nothing to route through it
        yield iface, v


def _nat_needing_forwarding(host, family):
    """NAT rules whose traffic the host must route: DNAT (prerouting) to an address that is
    not the host's, and MASQUERADE/SNAT (postrouting) from anything but one local address."""
    local = local_addresses(host)
    for table, chain, rule, nat, hook in nat_rules(host, family, ("prerouting", "postrouting")):
        if nat.kind == "dnat" and hook == "prerouting":
            addr = nat_address(nat)
            if addr is not None and addr.version == family and addr not in local and \
                    not addr.is_loopback:
                yield table, chain, rule, nat, hook
        elif nat.kind in ("masquerade", "snat") and hook == "postrouting":
            srcs = [n for m in rule.matches if type(m).__name__ == "AddressMatch"
                    and m.field == "saddr" and not m.negated for n in m.networks]
            if srcs and all(n.prefixlen == n.max_prefixlen and n.network_address in local
                            for n in srcs):
                continue
            if srcs and any(n.version != family for n in srcs):
                continue
            yield table, chain, rule, nat, hook


def _probe_flows(host, family, needs):
    """Flows that exercise the NAT rules: a client outside to each published port (entering on
    the default-route link), a subnet behind a MASQUERADE talking out."""
    idx = HostIndex.of(host)
    topo = idx.topology
    uplink = next((r.dev for r in host.routes if r.dst == "default" and r.dev and
                   ((":" in (r.via or "")) == (family == 6))), None)
    outside = outside_address(host, family)
    flows = []
    if uplink:
        dst_default = topo.primary_address(uplink, family)
        for t, r, proto, port, daddr in rule_index.published(host):
            dst = daddr or (str(dst_default) if dst_default else None)
            if dst is None or ipaddress.ip_address(dst).version != family:
                continue
            flows.append(Flow(outside, dst, proto, dport=port, in_iface=uplink))
    for _, _, rule, nat, _ in needs:
        if nat.kind not in ("masquerade", "snat"):
            continue
        for m in rule.matches:
            if type(m).__name__ != "AddressMatch" or m.field != "saddr" or m.negated:
                continue
            for n in m.networks:
                if n.version != family or n.num_addresses < 4:
                    continue
                src = next((ip for ip in topo.containers if ip in n), None) or \
                    n.network_address + 2
                flows.append(Flow(str(src), outside, "icmp" if family == 4 else "icmp"))
    seen, out = set(), []
    for f in flows:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out[:16]
