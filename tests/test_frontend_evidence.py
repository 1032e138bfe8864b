"""Evidence frontends: conntrack -L / -E entries and kernel log (LOG target, martians)."""

from corpus import SEED000, block_at, seed_text
from nflint.frontends import get

conntrack = get("conntrack")
kernel_log = get("kernel-log")

CONNTRACK_L = """\
tcp      6 431999 ESTABLISHED src=192.0.2.10 dst=192.0.2.1 sport=51514 dport=22 src=192.0.2.1 dst=192.0.2.10 sport=22 dport=51514 [ASSURED] mark=0 use=1
udp      17 29 src=198.18.0.4 dst=198.51.100.53 sport=40000 dport=53 [UNREPLIED] src=198.51.100.53 dst=198.51.100.250 sport=53 dport=40000 mark=0 zone=3 use=1
icmp     1 29 src=192.0.2.10 dst=192.0.2.1 type=8 code=0 id=4242 src=192.0.2.1 dst=192.0.2.10 type=0 code=0 id=4242 mark=0 use=1
conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.
"""


def test_conntrack_list():
    c = conntrack(CONNTRACK_L, "ct.txt", line_offset=2)
    assert not c.problems
    tcp, udp, icmp = c.evidence
    assert all(e.kind == "conntrack" for e in c.evidence)
    assert (tcp.get("proto"), tcp.get("state"), tcp.get("timeout"), tcp.get("event")) == (
        "tcp", "ESTABLISHED", "431999", "")
    assert (tcp.get("orig_sport"), tcp.get("reply_sport"), tcp.get("flags")) == ("51514", "22",
                                                                               "ASSURED")
    assert udp.get("state") is None and udp.get("flags") == "UNREPLIED"
    assert udp.get("reply_dst") == "198.51.100.250" and udp.get("zone") == "3"
    assert (icmp.get("orig_type"), icmp.get("reply_type"), icmp.get("orig_id")) == ("8", "0",
                                                                                  "4242")
    assert icmp.get("id") is None  # the ICMP id is part of the tuple, not a conntrack id
    assert tcp.span.line == 3 and udp.span.line == 4


def test_conntrack_events_with_timestamps():
    text = ("[1731440796.123456]\t    [NEW] tcp      6 120 SYN_SENT src=192.0.2.248 dst=192.0.2.250 "
            "sport=55094 dport=5000 [UNREPLIED] src=198.18.0.4 dst=192.0.2.248 sport=5000 "
            "dport=55094\n"
            "[1731440796.223456]\t[DESTROY] tcp      6 src=192.0.2.248 dst=192.0.2.250 sport=55094 "
            "dport=5000 src=198.18.0.4 dst=192.0.2.248 sport=5000 dport=55094 [ASSURED] id=7\n")
    c = conntrack(text, "ev")
    new, destroy = c.evidence
    assert (new.get("event"), new.get("timestamp"), new.get("state")) == (
        "NEW", "1731440796.123456", "SYN_SENT")
    assert (destroy.get("event"), destroy.get("state"), destroy.get("id")) == ("DESTROY", None, "7")


def test_unreadable_conntrack_lines():
    c = conntrack("hello world\n[NEW] tcp 6 120 SYN_SENT\n%%% ###\n", "ev", line_offset=10)
    assert not c.evidence
    assert [(p.code, p.span.line) for p in c.problems] == [("NF001", 11), ("NF001", 12),
                                                           ("NF001", 13)]


def test_seed_conntrack_log_shows_the_second_entry():
    text = seed_text(SEED000)
    block, offset = block_at(text, "   [NEW] ipv4")
    c = conntrack(block, "seed000", line_offset=offset)
    assert not c.problems and len(c.evidence) == 6
    assert [e.get("event") for e in c.evidence] == ["NEW", "UPDATE", "UPDATE", "NEW", "DESTROY",
                                                    "UPDATE"]
    second = c.evidence[3]
    assert (second.get("l3"), second.get("orig_src"), second.get("orig_sport"),
            second.get("reply_dport"), second.get("id"), second.get("flags")) == (
        "ipv4", "192.168.137.250", "5000", "19460", "1724107866", "UNREPLIED")
    assert c.evidence[2].get("flags") == "ASSURED" and c.evidence[0].get("reply_src") == "172.18.0.4"
    assert text.splitlines()[second.span.line - 1].strip().startswith("[NEW]")


KERNEL = """\
Nov 12 19:46:36 nas kernel: CT INVALID OUT: IN=br-lan137 OUT=br-lan137 PHYSIN=veth-lan137-1 PHYSOUT=veth5a44ead MAC=72:ff:6f:af:95:56:98:03:9b:c4:d3:04:08:00 SRC=192.0.2.250 DST=192.0.2.248 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=5000 DPT=55094 WINDOW=65160 RES=0x00 ACK SYN URGP=0
[ 8123.456789] nft-drop: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=192.0.2.1 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=9 SEQ=1
2025-11-12T19:46:40+0100 nas kernel: REJ: IN=eth0 OUT=br0 SRC=192.0.2.1 DST=198.51.100.2 LEN=56 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=192.0.2.1 LEN=28 PROTO=UDP SPT=53 DPT=5353 LEN=8 ]
[Wed Nov 12 19:46:41 2025] IPv4: martian source 198.18.0.4 from 198.51.100.248, on dev br-lan137
[Wed Nov 12 19:46:41 2025] ll header: 00000000: ff ff ff ff ff ff 02 42 ac 12 00 04 08 06
Nov 12 19:46:42 nas kernel: IPv4: martian destination 127.0.0.1 from 192.0.2.9, dev eth0
Nov 12 19:46:43 nas kernel: br-lan137: port 1(veth-lan137-1) entered forwarding state
"""


def test_kernel_log_lines():
    c = kernel_log(KERNEL, "journal", line_offset=50)
    assert not c.problems
    logs = [e for e in c.evidence if e.kind == "kernel-log"]
    martians = [e for e in c.evidence if e.kind == "martian"]
    assert len(logs) == 3 and len(martians) == 2
    first = logs[0]
    assert first.get("prefix") == "CT INVALID OUT:"
    assert (first.get("in"), first.get("out"), first.get("physin"), first.get("physout")) == (
        "br-lan137", "br-lan137", "veth-lan137-1", "veth5a44ead")
    assert (first.get("src"), first.get("dst"), first.get("proto"), first.get("spt"),
            first.get("dpt")) == ("192.0.2.250", "192.0.2.248", "TCP", "5000", "55094")
    assert first.get("flags") == "ACK SYN" and first.get("ip_flags") == "DF"
    assert first.span.line == 51 and first.span.column == KERNEL.index("CT INVALID") + 1
    assert first.text.startswith("CT INVALID OUT: IN=")
    assert (logs[1].get("prefix"), logs[1].get("out"), logs[1].get("id")) == ("nft-drop:", "",
                                                                             "1")
    assert logs[2].get("src") == "192.0.2.1" and "SPT=53" in logs[2].get("inner")
    src = martians[0]
    assert (src.get("martian"), src.get("dst"), src.get("src"), src.get("dev")) == (
        "source", "198.18.0.4", "198.51.100.248", "br-lan137")
    assert src.get("ll_header").startswith("00000000: ff ff")
    assert (martians[1].get("martian"), martians[1].get("dev")) == ("destination", "eth0")
    [note] = c.assumptions
    assert "1 kernel log line" in note and "57" in note


def test_seed_kernel_log():
    text = seed_text(SEED000)
    block, offset = block_at(text, "Nov 12 19:46:36 nas kernel")
    c = kernel_log(block, "seed000", line_offset=offset)
    assert [e.get("flags") for e in c.evidence] == ["ACK SYN", "RST"]
    assert {e.get("physin") for e in c.evidence} == {"veth-lan137-1"}
    assert not c.assumptions and not c.problems


def test_monotonic_and_precise_journal_stamps():
    text = ("[ 8123.456789] nas kernel: DROP: IN=eth0 OUT= SRC=203.0.113.7 DST=192.0.2.1 PROTO=UDP "
            "SPT=1 DPT=2\n"
            "Nov 12 19:46:36.123456 nas kernel: ACC: IN=eth0 OUT=br0 SRC=203.0.113.7 "
            "DST=192.0.2.1 PROTO=TCP SPT=1 DPT=2 SYN\n")
    a, b = kernel_log(text, "j").evidence
    assert (a.get("prefix"), b.get("prefix"), b.get("flags")) == ("DROP:", "ACC:", "SYN")
