"""`nflint trace` on the bundled examples."""
from __future__ import annotations

import json

from click.testing import CliRunner

from engine_scenarios import EXAMPLES
from nflint.cli import main

SEED = ["--src", "192.168.137.248", "--dst", "192.168.137.250", "--dport", "5000"]


def run(*args):
    result = CliRunner().invoke(main, ["trace", *args])
    return result


def test_text_trace_of_the_seed_names_the_martian_drop():
    r = run(str(EXAMPLES / "seed000"), *SEED)
    assert r.exit_code == 0, r.output
    assert "ip PREROUTING (in=br-lan137" in r.output
    assert "DNAT" in r.output and "iptables-save.txt:" in r.output
    assert "=> DROPPED: martian source 172.18.0.4 from 192.168.137.248, on dev br-lan137" \
        in r.output
    assert "reply (" not in r.output  # no --reply


def test_reply_of_the_fixed_seed_goes_back_to_the_client():
    r = run(str(EXAMPLES / "seed000-fixed"), *SEED, "--reply")
    assert r.exit_code == 0, r.output
    assert "reply (server sends tcp 172.18.0.4:5000 -> 192.168.137.248:40000 [SYN+ACK])" \
        in r.output
    assert "source 172.18.0.4:5000 -> 192.168.137.250:5000" in r.output
    assert "outcome: DELIVERED" in r.output


def test_json_is_versioned_and_cites_rules():
    r = run(str(EXAMPLES / "seed000"), *SEED, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["version"] == 1
    assert set(doc) >= {"flow", "outcome", "packets", "assumptions", "alternatives",
                        "truncated", "choices"}
    assert doc["outcome"]["reason"] == "rp_filter" and not doc["outcome"]["delivered"]
    steps = doc["packets"][0]["steps"]
    dnat = [s for s in steps if s.get("verdict") == "dnat"]
    assert dnat and dnat[0]["rule"]["span"]["line"] > 0 and dnat[0]["table"]["name"] == "nat"


def test_seed002_udp_reply_in_json():
    r = run(str(EXAMPLES / "seed002"), "--src", "198.51.100.50", "--dst", "198.51.100.10",
            "--proto", "udp", "--dport", "1812", "--reply", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert [p["role"] for p in doc["packets"]] == ["request", "reply"]
    assert doc["outcome"]["delivered"]


def test_bad_arguments_are_usage_errors():
    assert run(str(EXAMPLES / "seed000"), "--src", "nonsense", "--dst", "192.0.2.1",
               "--dport", "1").exit_code == 2
    assert run(str(EXAMPLES / "seed000"), "--src", "192.0.2.1", "--dst",
               "192.0.2.2").exit_code == 2  # tcp needs --dport


def test_undecidable_paths_and_assumptions_are_printed(tmp_path):
    (tmp_path / "rules.txt").write_text(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A FORWARD -m limit --limit 1/sec -j ACCEPT\nCOMMIT\n")
    r = run(str(tmp_path / "rules.txt"), "--src", "198.51.100.20", "--dst", "203.0.113.20",
            "--dport", "80", "--in", "eth0")
    assert r.exit_code == 0, r.output
    assert "--- path 1 of " in r.output and "assumed NOT matching" in r.output
    assert "assumptions:" in r.output and "no `ip route` dump" in r.output


def test_facts_without_rules_still_trace(tmp_path):
    (tmp_path / "ip-addr.txt").write_text((EXAMPLES / "seed002" / "ip-addr.txt").read_text())
    r = run(str(tmp_path / "ip-addr.txt"), "--src", "198.51.100.50", "--dst", "198.51.100.10",
            "--proto", "icmp", "--reply")
    assert r.exit_code == 0, r.output
    assert "outcome: SENT" in r.output or "outcome: DELIVERED" in r.output


def test_assumptions_alike_but_for_their_numbers_are_counted_in_the_text():
    from nflint.engine.render import shown_assumptions
    many = [f"10.0.0.{i} assumed to be a container on docker0" for i in range(2, 40)]
    few = ["ip_forward assumed 1", "the route to 10.1.0.1 is unknown",
           "the route to 10.1.0.2 is unknown"]
    shown = shown_assumptions(few[:1] + many + few[1:])
    assert shown[0] == "ip_forward assumed 1"
    assert shown[1:4] == many[:3] and shown[4] == "... and 35 more like these"
    assert shown[5:] == few[1:]  # two alike: both shown
    four = [f"x {i}" for i in range(4)]
    assert shown_assumptions(four) == four  # one more than the cut: shown, not counted
