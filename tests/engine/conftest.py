import sys
from pathlib import Path

# engine_scenarios.py (variant inputs) sits next to the engine tests; the kernel agreement
# test also imports tests.kernel.seed000 (the lab's scenario) from the repository root.
_HERE = Path(__file__).resolve().parent
for p in (_HERE, _HERE.parents[1]):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
