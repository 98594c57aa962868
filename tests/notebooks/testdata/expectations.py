"""Bounds for the runner's own test notebooks (tests/notebooks/test_runner.py); format: ../expectations.py."""

EXPECTATIONS = {
    "hello.ipynb": {
        "sine_area": (3.9, 4.01),  # integral of |sin x| over [0, 2 pi] = 4, trapezoids on 50 points
        "full_mode": {"reduced": (0, 0), "full": (1, 1)},  # BPGO_NOTEBOOK_MODE reached the cell
    },
    "panic.ipynb": {"before_panic": (0, 2)},
}
