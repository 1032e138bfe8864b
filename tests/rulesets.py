"""iptables-save texts that several tests load into a namespace or parse."""

# Docker's nat table up to its first own rule: the chains Docker creates and the PREROUTING
# jump that sends traffic for a local address to DOCKER (the published-port DNATs follow).
DOCKER_NAT_HEAD = """\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
"""
