"""What nflint reports on the founding seed as posted: the blog's markdown, whole (listings
condensed by the author, sysctls only in prose, the container's address in a docker-compose
file, the veth pair in a mis-indented netplan file)."""
from pathlib import Path

import pytest

from nflint import api
from nflint.diagnostics import Severity

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"


@pytest.fixture(scope="module")
def report():
    found = sorted(SEEDS.glob("000_*.txt")) if SEEDS.is_dir() else []
    if not found:
        pytest.skip(f"seed 000 not found under {SEEDS}")
    (rep,) = api.check_paths([str(found[0])])
    return rep


def _by(report, code):
    return [d for d in report.diagnostics if d.code == code]


def test_compose_places_the_container(report):
    nets = {n.name: n for n in report.host.docker_networks}
    assert nets["lan137"].bridge_name == "br-lan137"
    assert nets["lan137"].containers == (("homeassistant", "192.168.137.248"),)


def test_nf101_dnat_on_the_bridge_it_only_crosses(report):
    (d,) = _by(report, "NF101")
    assert d.severity == Severity.ERROR
    assert "homeassistant (192.168.137.248)" in d.message and "br-lan137" in d.message
    assert "to:172.18.0.4:5000" in d.message


def test_nf103_rp_filter_is_reported_as_assumed(report):
    (d,) = _by(report, "NF103")
    assert d.severity == Severity.WARNING
    assert "br-lan137 has no IPv4 address" in d.message
    assert "rp_filter assumed 2" in d.message and "no sysctl dump" in d.message


def test_nf102_isolation_drop_names_the_real_ingress_and_sender(report):
    certain = [d for d in _by(report, "NF102") if d.severity == Severity.ERROR]
    assert len(certain) == 1
    d = certain[0]
    assert "DOCKER-ISOLATION-STAGE-2" in d.message
    assert "unreachable from br-lan137: container homeassistant (192.168.137.248) is DNATed "\
           "on br-lan137" in d.message
    assert "(br-lan137 -> br-da66fb6805df)" in d.message
    assert "stacked behind NF102" not in d.message  # never stacked behind itself
    assert d.fix is not None and any("-i br-lan137 -o br-da66fb6805df" in c
                                     for c in d.fix.commands)


def test_nf104_double_tracking_cites_the_conntrack_log(report):
    (d,) = _by(report, "NF104")
    assert d.severity == Severity.ERROR and "br-lan137" in d.message
    assert any("rewritten port" in r.message for r in d.related)
    assert d.fix is not None and \
        "iptables -t raw -I PREROUTING 1 -i br-lan137 -j NOTRACK" in d.fix.commands


def test_drops_by_a_condensed_listings_policy_are_not_claimed_as_certain(report):
    policy = [d for d in report.diagnostics if d.code in ("NF102", "NF105")
              and "FORWARD (" in d.message or "policy DROP" in d.message]
    assert policy
    for d in policy:
        assert d.severity == Severity.WARNING, d.message
        assert "partial (condensed)" in d.message
    assert any("listing" in a and "partial" in a for a in report.host.assumptions)


def test_messages_say_what_they_assume(report):
    (nf101,) = _by(report, "NF101")
    assert "bridge-nf-call-iptables assumed 1" in nf101.message
    assert all("172.18.0.4 assumed to be a container on br-da66fb6805df" in d.message
               for d in _by(report, "NF102"))
