#!/usr/bin/env python3
"""Speed of the non-firewall frontends on generated large inputs (a busy container host).

Real dumps of this size are rarely shared, so the inputs are synthetic but shaped like the real
output: `sysctl -a` with N interfaces (about 60 keys each), `ip addr` / `ip -d link` / `ip -j
addr` for N veth ports on bridges, `ip route` with N routes, `conntrack -E` and kernel LOG lines.
Timings are medians of in-process parses (no interpreter start), as CPU time and wall time: the
machine is shared, so wall time is noisy.

    python bench/bench_netfacts.py [--runs 3] [--interfaces 2000] [--lines 20000]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from nflint.frontends import get

PER_IF_KEYS = ["accept_local", "accept_redirects", "accept_source_route", "arp_accept",
               "arp_announce", "arp_filter", "arp_ignore", "bootp_relay", "disable_policy",
               "disable_xfrm", "forwarding", "log_martians", "mc_forwarding", "medium_id",
               "promote_secondaries", "proxy_arp", "route_localnet", "rp_filter",
               "send_redirects", "shared_media", "src_valid_mark", "tag"]


def sysctl_a(n: int) -> str:
    lines = [f"net.ipv4.conf.veth{i:05d}.{k} = {i % 3}" for i in range(n) for k in PER_IF_KEYS]
    lines += [f"net.ipv6.conf.veth{i:05d}.{k} = 0" for i in range(n) for k in PER_IF_KEYS[:18]]
    return "\n".join(lines + ["net.ipv4.ip_forward = 1", "net.ipv4.tcp_rmem = 4096\t131072\t6291456"])


def ip_addr(n: int) -> str:
    out = []
    for i in range(n):
        out.append(f"{i + 10}: veth{i:05d}@if{i + 2}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 "
                   f"qdisc noqueue master br-{i % 8} state UP group default")
        out.append(f"    link/ether 02:42:ac:11:{i // 256 % 256:02x}:{i % 256:02x} brd "
                   "ff:ff:ff:ff:ff:ff link-netnsid 0")
        out.append(f"    inet 198.18.{i // 256 % 256}.{i % 256}/16 scope global veth{i:05d}")
        out.append("       valid_lft forever preferred_lft forever")
    return "\n".join(out)


def ip_d_link(n: int) -> str:
    out = []
    for i in range(n):
        out.append(f"{i + 10}: veth{i:05d}@if{i + 2}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 "
                   f"qdisc noqueue master br-{i % 8} state UP mode DEFAULT group default")
        out.append("    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0 "
                   "promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535")
        out.append("    veth")
        out.append("    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off "
                   "root_block off fastleave off learning on flood on port_id 0x8001")
    return "\n".join(out)


def ip_j_addr(n: int) -> str:
    return json.dumps([{"ifindex": i + 10, "link_index": i + 2, "ifname": f"veth{i:05d}",
                        "flags": ["UP"], "mtu": 1500, "master": f"br-{i % 8}",
                        "operstate": "UP", "link_type": "ether", "link_netnsid": 0,
                        "addr_info": [{"family": "inet", "local": f"198.18.{i // 256 % 256}."
                                       f"{i % 256}", "prefixlen": 16}]} for i in range(n)])


def ip_route(n: int) -> str:
    return "\n".join(f"203.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32 via 198.51.100.1 "
                     f"dev eth0 proto bird metric {i % 100}" for i in range(n))


def conntrack(n: int) -> str:
    return "\n".join(f"    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=192.0.2.{i % 250} "
                     f"dst=198.51.100.250 sport={1024 + i % 60000} dport=5000 [UNREPLIED] "
                     f"src=198.18.0.4 dst=192.0.2.{i % 250} sport=5000 dport={1024 + i % 60000} "
                     f"id={1000000 + i}" for i in range(n))


def kernel_log(n: int) -> str:
    return "\n".join(f"Nov 12 19:46:{i % 60:02d} nas kernel: CT INVALID OUT: IN=br-lan137 "
                     "OUT=br-lan137 PHYSIN=veth-lan137-1 PHYSOUT=veth5a44ead MAC=72:ff:6f:af:95:56"
                     ":98:03:9b:c4:d3:04:08:00 SRC=192.0.2.250 DST=192.0.2.248 LEN=60 TOS=0x00 "
                     "PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=5000 DPT=55094 WINDOW=65160 "
                     "RES=0x00 ACK SYN URGP=0" for i in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--interfaces", type=int, default=2000)
    ap.add_argument("--lines", type=int, default=20000)
    args = ap.parse_args()
    n, lines = args.interfaces, args.lines
    cases = [("sysctl", sysctl_a(n)), ("ip-addr", ip_addr(n)), ("ip-link", ip_d_link(n)),
             ("ip-json", ip_j_addr(n)), ("ip-route", ip_route(lines)),
             ("conntrack", conntrack(lines)), ("kernel-log", kernel_log(lines))]
    print(f"{'format':<12} {'lines':>8} {'cpu s':>7} {'wall s':>7} {'lines/s':>9} {'MB/s':>5}"
          "  result")
    for fmt, text in cases:
        parse = get(fmt)
        parse(text[:2000], "warm-up")
        cpu, wall, result = [], [], None
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            result = parse(text, "bench")
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        c, w = statistics.median(cpu), statistics.median(wall)
        count = text.count("\n") + 1
        print(f"{fmt:<12} {count:>8} {c:>7.2f} {w:>7.2f} {count / c:>9.0f} "
              f"{len(text) / c / 1e6:>5.2f}  {result.summary()}")


if __name__ == "__main__":
    main()
