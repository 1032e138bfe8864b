"""sysctl frontend: dumps, config lines, /proc reads and pasted `sysctl -w` commands."""

from corpus import SEED000, block_at, seed_text
from nflint.frontends import get
from nflint.host import HostBuilder

parse = get("sysctl")

SYSCTL_A = """\
net.bridge.bridge-nf-call-arptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.bridge.bridge-nf-call-iptables = 1
net.ipv4.conf.all.forwarding = 1
net.ipv4.conf.all.rp_filter = 2
net.ipv4.conf.br-lan137.forwarding = 1
net.ipv4.conf.br-lan137.rp_filter = 2
net.ipv4.conf.default.rp_filter = 2
net.ipv4.conf.eth0/100.rp_filter = 0
net.ipv4.ip_forward = 1
net.ipv4.tcp_rmem = 4096	131072	6291456
sysctl: permission denied on key 'net.ipv6.conf.all.stable_secret'
"""


def host_of(*contributions):
    b = HostBuilder()
    for c in contributions:
        b.add(c)
    return b.build()


def test_sysctl_a_values_and_spans():
    c = parse(SYSCTL_A, "dump.txt", line_offset=10)
    assert not c.problems
    values = {v.key: v for v in c.sysctls}
    assert values["net.ipv4.conf.br-lan137.rp_filter"].value == "2"
    assert values["net.ipv4.tcp_rmem"].value == "4096\t131072\t6291456"
    assert values["net.ipv4.conf.eth0/100.rp_filter"].value == "0"
    span = values["net.ipv4.ip_forward"].span
    assert (span.source, span.line, span.column) == ("dump.txt", 20, 1)
    assert span.end_column == len("net.ipv4.ip_forward = 1") + 1
    assert not any(v.assumed or v.reason for v in c.sysctls)
    [err] = c.evidence
    assert err.kind == "sysctl-error" and err.get("key") == "net.ipv6.conf.all.stable_secret"


def test_config_file_styles():
    text = ("# /etc/sysctl.d/99-docker.conf\n; old style comment\n"
            "net.ipv4.ip_forward=1\n-net.ipv4.conf.all.rp_filter = 0\n   net.ipv4.conf.*.rp_filter = 2\n")
    c = parse(text, "conf")
    assert not c.problems
    assert [(v.key, v.value) for v in c.sysctls] == [
        ("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.rp_filter", "0"),
        ("net.ipv4.conf.*.rp_filter", "2")]
    assert c.sysctls[2].span.column == 4


def test_proc_paths_are_normalised():
    text = ("/proc/sys/net/ipv4/conf/all/rp_filter:1\n"
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter:2\n")
    c = parse(text, "grep")
    assert [(v.key, v.value) for v in c.sysctls] == [
        ("net.ipv4.conf.all.rp_filter", "1"), ("net.ipv4.conf.eth0/100.rp_filter", "2")]


def test_cat_proc_value_takes_its_key_from_the_prompt():
    c = parse("1\n", "paste", line_offset=4,
              hint={"command": "sudo cat /proc/sys/net/bridge/bridge-nf-call-iptables"})
    [v] = c.sysctls
    assert (v.key, v.value, v.span.line) == ("net.bridge.bridge-nf-call-iptables", "1", 5)
    assert "read by command" in v.reason
    c = parse("0\n2\n", "paste", hint={"command": "sysctl -n net.ipv4.ip_forward "
                                                   "net.ipv4.conf.all.rp_filter"})
    assert [(v.key, v.value) for v in c.sysctls] == [("net.ipv4.ip_forward", "0"),
                                                     ("net.ipv4.conf.all.rp_filter", "2")]


def test_surplus_value_lines_are_errors_not_guesses():
    c = parse("1\n1\n", "paste", hint={"command": "cat /proc/sys/net/ipv4/ip_forward"})
    assert len(c.sysctls) == 1
    assert [(p.code, p.span.line) for p in c.problems] == [("NF001", 2)]


def test_sysctl_w_commands_are_marked_as_changes():
    text = ("sysctl -w net.ipv4.conf.all.rp_filter=0\n"
            "$ sudo sysctl -q -w net.ipv4.conf.br-lan137.rp_filter=0 'net.ipv4.tcp_rmem=4096 87380'\n"
            "sysctl net.ipv4.ip_forward\n")
    c = parse(text, "thread")
    assert not c.problems
    got = {v.key: v for v in c.sysctls}
    assert got["net.ipv4.conf.all.rp_filter"].value == "0"
    assert got["net.ipv4.tcp_rmem"].value == "4096 87380"
    assert all(v.reason.startswith("set by command: ") for v in c.sysctls)
    assert got["net.ipv4.conf.br-lan137.rp_filter"].span.column == text.splitlines()[1].index(
        "net.ipv4.conf.br-lan137") + 1
    assert any("read command" in a for a in c.assumptions)


def test_output_of_a_sysctl_w_prompt_is_a_change_too():
    c = parse("net.ipv4.ip_forward = 1\n", "t", hint={"command": "sysctl -w net.ipv4.ip_forward=1"})
    assert c.sysctls[0].reason == "set by command: sysctl -w net.ipv4.ip_forward=1"


def test_cannot_stat_is_evidence_of_a_missing_key():
    c = parse("sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: "
              "No such file or directory\n", "t")
    [e] = c.evidence
    assert e.get("key") == "net.bridge.bridge-nf-call-iptables"
    assert not c.sysctls and not c.problems


def test_garbage_lines_are_reported_and_reading_goes_on():
    c = parse("net.ipv4.ip_forward = 1\nthis is not sysctl\nnet.ipv4.conf.all.rp_filter = 1\n",
              "t", line_offset=100)
    assert [v.key for v in c.sysctls] == ["net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter"]
    [p] = c.problems
    assert (p.code, p.name, p.span.line) == ("NF001", "syntax-error", 102)
    assert p.span.column > 1 and "expected" in p.message


def test_effective_values_given_and_assumed():
    host = host_of(parse(SYSCTL_A, "dump"),
                   parse("sysctl -w net.ipv4.conf.all.rp_filter=0\n", "fix"))
    value, used = host.sysctls.rp_filter("br-lan137")
    assert value == 2 and {v.key for v in used} == {"net.ipv4.conf.all.rp_filter",
                                                   "net.ipv4.conf.br-lan137.rp_filter"}
    assert host.sysctls.given["net.ipv4.conf.all.rp_filter"].reason.startswith("set by command")
    fwd, [src] = host.sysctls.forwarding("br-lan137")
    assert fwd == 1 and src.key == "net.ipv4.conf.br-lan137.forwarding" and not src.assumed
    fwd, [src] = host.sysctls.forwarding("eth9")
    assert fwd == 1 and src.key == "net.ipv4.conf.all.forwarding"


def test_forwarding_falls_back_to_ip_forward_then_default():
    host = host_of(parse("net.ipv4.ip_forward = 1\n", "t"))
    assert host.sysctls.forwarding("eth0")[0] == 1
    host = host_of(parse("net.ipv4.conf.eth0.forwarding = 0\nnet.ipv4.ip_forward = 1\n", "t"))
    assert host.sysctls.forwarding("eth0")[0] == 0
    value, [v] = host_of().sysctls.forwarding("eth0", family=6)
    assert value == 0 and v.assumed and v.key == "net.ipv6.conf.all.forwarding"


def test_seed_sysctl_w_block():
    text = seed_text(SEED000)
    block, offset = block_at(text, "sysctl -w net.ipv4.conf.all.rp_filter=0")
    c = parse(block, "seed000", line_offset=offset)
    assert not c.problems
    assert [(v.key, v.value) for v in c.sysctls] == [("net.ipv4.conf.all.rp_filter", "0"),
                                                     ("net.ipv4.conf.br-lan137.rp_filter", "0")]
    assert text.splitlines()[c.sysctls[1].span.line - 1].startswith("sysctl -w net.ipv4.conf.br")


def test_slash_form_keys_of_the_sysctl_command():
    c = parse("sysctl -w net/ipv4/conf/eth0.100/rp_filter=0\n", "t")
    assert c.sysctls[0].key == "net.ipv4.conf.eth0/100.rp_filter"


def test_sysctl_system_output():
    text = ("* Applying /usr/lib/sysctl.d/50-default.conf ...\n"
            "net.ipv4.conf.default.rp_filter = 2\n"
            "* Applying /etc/sysctl.d/99-local.conf ...\n"
            "net.ipv4.conf.default.rp_filter = 0\n")
    c = parse(text, "t")
    assert not c.problems
    assert host_of(c).sysctls.given["net.ipv4.conf.default.rp_filter"].value == "0"
