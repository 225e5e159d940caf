"""`make bench` says whether its machine was quiet (issue 34) from what others did, not from itself."""
from __future__ import annotations

from bench.run import background_cores, quiet


def test_the_runs_own_cpu_is_not_background() -> None:
    # 10 s of wall time; the machine was busy 12 CPU seconds, 11 of them this run's and its children's.
    assert background_cores((0.0, 100.0, 5.0), (10.0, 112.0, 16.0)) == 0.1
    # All of it the run's own: nothing in the background, however busy the run kept the machine.
    assert background_cores((0.0, 100.0, 5.0), (10.0, 118.0, 23.0)) == 0.0


def test_quiet_needs_a_low_start_and_little_else_running() -> None:
    ran = {"load_average_end": [1.4, 1.1, 1.5]}  # the run's own load: no test of quiet
    assert quiet({**ran, "load_average_start": [0.6, 1.2, 1.7], "background_cores": 0.02})
    assert not quiet({**ran, "load_average_start": [1.3, 1.2, 1.7], "background_cores": 0.02})
    assert not quiet({**ran, "load_average_start": [0.6, 1.2, 1.7], "background_cores": 0.5})
    assert not quiet({**ran, "load_average_start": [0.6, 1.2, 1.7]})  # not measured: not known to be quiet
