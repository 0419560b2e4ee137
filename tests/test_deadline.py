"""The run deadline under load (issue 18, item 11): pure arithmetic on an injected clock,
and a real loopback run beside two busy loops whose verdict does not change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.budgets import MAX_START_LAG, START_ALLOWANCE
from wsdiag.clock import run_budget

T0 = 1000.0  # an arbitrary monotonic reading: the process start


@pytest.mark.parametrize(
    ("started_after", "explicit", "budget", "lag"),
    [
        (0.3, False, 4.7, 0.0),  # a normal start: the deadline as configured
        (0.5, False, 4.5, 0.0),  # START_ALLOWANCE exactly: still on time
        (1.5, False, 4.5, 1.0),  # 1 s late: the default deadline moves by 1 s
        (3.0, False, 4.0, 2.5),  # 2.5 s late: moved by MAX_START_LAG (2 s) only
        (9.0, False, 0.0, 8.5),  # later than deadline + lag: nothing left, never negative
        (1.5, True, 3.5, 1.0),  # --deadline given: the caller's wall never moves
    ],
)
def test_run_budget_table(started_after: float, explicit: bool, budget: float, lag: float) -> None:
    got_budget, got_lag = run_budget(5.0, explicit, T0, T0 + started_after)
    assert (round(got_budget, 9), round(got_lag, 9)) == (budget, lag)


@given(
    deadline=st.floats(0.05, 300.0),
    started_after=st.floats(0.0, 600.0),
    explicit=st.booleans(),
)
def test_the_wall_moves_only_for_a_default_deadline_and_at_most_max_start_lag(
    deadline: float, started_after: float, explicit: bool
) -> None:
    budget, lag = run_budget(deadline, explicit, T0, T0 + started_after)
    end = started_after + budget  # seconds after the process start the runner must end
    assert budget >= 0.0 and lag >= 0.0
    assert lag == pytest.approx(max(started_after - START_ALLOWANCE, 0.0))
    wall = deadline + (0.0 if explicit else MAX_START_LAG)
    assert end <= wall + 1e-9 or budget == 0.0
    if not explicit and started_after >= START_ALLOWANCE and lag <= MAX_START_LAG:
        # Late, but within MAX_START_LAG: the probes keep what an on-time start leaves.
        assert budget == pytest.approx(max(deadline - START_ALLOWANCE, 0.0))
