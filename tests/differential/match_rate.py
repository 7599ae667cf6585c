"""How much of the differential suite matches an oracle, reply by reply.

    python -m tests.differential.match_rate --oracle 10.0 [--profile 7.2] [-v]

Plays every scenario of every module (whatever its ``ORACLES``) against the
oracle and against qmpnuma with ``--profile`` (default: the oracle's), and
counts compared items: the greeting, each step's messages and the end of the
run (exit status and stderr).  A step is identical when all its messages are.
Prints the percentage of identical items, per module and in total.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.differential import harness
from tests.differential.harness import Scenario
from tests.differential.test_differential import _all_scenario_modules


def compare(scenario: Scenario, oracle: str, profile: str) -> tuple[int, int]:
    """(identical items, compared items) of one scenario."""
    ours = harness.normalise(harness.run_qmpnuma(scenario, profile), scenario)
    theirs = harness.normalise(harness.run_qemu(scenario, oracle), scenario)
    pairs: list[tuple[object, object]] = [(ours["greeting"], theirs["greeting"])]
    our_steps, their_steps = ours["exchanges"], theirs["exchanges"]
    assert isinstance(our_steps, list) and isinstance(their_steps, list)
    for i in range(max(len(our_steps), len(their_steps))):
        pairs.append((our_steps[i : i + 1], their_steps[i : i + 1]))
    pairs.append(((ours["returncode"], ours["stderr"]), (theirs["returncode"], theirs["stderr"])))
    return sum(a == b for a, b in pairs), len(pairs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="match_rate")
    parser.add_argument("--oracle", default=harness.ORACLE)
    parser.add_argument("--profile", default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="list differing scenarios")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    opts = parser.parse_args(argv)
    profile = opts.profile or opts.oracle
    if harness.oracle_command(opts.oracle) is None:
        print(f"the QEMU {opts.oracle} oracle is not installed", file=sys.stderr)
        return 2
    same: Counter[str] = Counter()
    total: Counter[str] = Counter()
    work = [(name, s) for name, module in _all_scenario_modules() for s in module.SCENARIOS]
    with ThreadPoolExecutor(opts.jobs) as pool:
        results = pool.map(lambda item: compare(item[1], opts.oracle, profile), work)
        for (name, scenario), (ok, n) in zip(work, results, strict=True):
            same[name] += ok
            total[name] += n
            if opts.verbose and ok != n:
                print(f"differs: {scenario.name} ({ok}/{n})")
    for name in sorted(total):
        print(f"{name:28} {same[name]:5}/{total[name]:<5} {100 * same[name] / total[name]:5.1f}%")
    all_same, all_total = sum(same.values()), sum(total.values())
    print(f"{'total':28} {all_same:5}/{all_total:<5} {100 * all_same / all_total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
