"""Does the engine predict what the kernel does? The seed host's variants, three flows each.

`test_engine_matches_recorded_kernel_story` compares with the outcomes the kernel lab asserts
(tests/kernel/test_seed000_kernel.py: its tables are what this machine's kernel did);
`test_engine_matches_live_kernel` builds each variant in namespaces and asks the kernel again.
"""
from __future__ import annotations

import pytest

from engine_scenarios import LAB_FLOWS, lab_inputs, load, predicted_outcome
from nflint.engine import Flow, simulate

story = pytest.importorskip("tests.kernel.test_seed000_kernel",
                            reason="the kernel lab (tests/kernel) is not available")
seed = pytest.importorskip("tests.kernel.seed000")
from tests.kernel.conftest import lab, seed_host  # noqa: E402,F401  (fixtures)


def predict(variant) -> dict[str, str]:
    host, problems = load(lab_inputs(variant))
    bad = [p for p in problems if p.severity >= 3]
    assert not bad, bad
    out = {}
    for name, (src, dst, port) in LAB_FLOWS.items():
        out[name] = predicted_outcome(simulate(host, Flow(src, dst, "tcp", dport=port)))
    return out


ROWS = [(backend, name, row) for backend, table in story.STORIES.items()
        for name, row in table.items()]


@pytest.mark.parametrize("backend,name,row", ROWS, ids=[f"{b}:{n.split(':')[0]}"
                                                        for b, n, _ in ROWS])
def test_engine_matches_recorded_kernel_story(backend, name, row):
    variant, to_published, to_lan, _isolated = row
    got = predict(variant.but(backend=backend))
    assert (got["ha->published"], got["ha->lan"], got["lan->published"]) == \
        (to_published, to_lan, "ok"), name


@pytest.mark.kernel
@pytest.mark.parametrize("backend", list(story.STORIES))
def test_engine_matches_live_kernel(seed_host, backend):
    """One lab per backend (a lab holds at most 64 namespaces; a variant takes four)."""
    from tests.kernel.lab import tcp_connect_many
    rows = [(b, n, r) for b, n, r in ROWS if b == backend]
    seeds = [seed_host(r[0].but(backend=b), tag=f"e{i}-") for i, (b, _, r) in enumerate(rows)]
    attempts = []
    for s in seeds:
        attempts += [(s.ha, None, seed.HOST_LAN_IP, seed.PUBLISHED_PORT),
                     (s.ha, None, seed.LAN_DEVICE_IP, seed.LAN_PORT),
                     (s.lan, None, seed.HOST_LAN_IP, seed.PUBLISHED_PORT)]
    outcomes = tcp_connect_many(attempts, timeout=1.0)
    agree, disagree = 0, []
    for i, (_, name, row) in enumerate(rows):
        kernel = [o.kind for o in outcomes[3 * i: 3 * i + 3]]
        engine = list(predict(row[0].but(backend=backend)).values())
        for flow, k, e in zip(LAB_FLOWS, kernel, engine):
            if k == e:
                agree += 1
            else:
                disagree.append(f"{backend} {name} {flow}: kernel {k}, engine {e}")
    print(f"{backend}: engine/kernel agreement {agree}/{agree + len(disagree)}")
    assert not disagree, "\n".join(disagree)
