"""The demo job: a real scikit-learn training on the bundled digits data set.

No download: ``load_digits`` ships inside scikit-learn. Run it under
``wattprint run --model mlp-256-128 -- python examples/train_digits.py``
(what ``make demo`` does), or with ``--inline`` to track phases through the
Python API. Either way the test accuracy is logged with
``wattprint.log_metric`` and stored with the run.
"""

from __future__ import annotations

import sys
import time


def train(rounds: int = 3) -> float:
    """Fit a small MLP on 8×8 digits a few times; return the last test accuracy."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, random_state=0)
    accuracy = 0.0
    # A fixed, short budget keeps the demo at a few seconds; not converging
    # fully is expected and not worth a warning on every run.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for seed in range(rounds):
        model = MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=60, random_state=seed)
        model.fit(x_train, y_train)
        accuracy = model.score(x_test, y_test)
    return accuracy


def main() -> None:
    """Train, printing and logging the accuracy; with ``--inline`` track phases in-process."""
    import wattprint

    started = time.perf_counter()
    if "--inline" in sys.argv:
        with wattprint.Tracker(project="demo-inline", model="mlp-256-128") as tracker:
            with tracker.phase("train"):
                accuracy = train()
            wattprint.log_metric("accuracy", accuracy)
        assert tracker.run is not None
        print(f"energy {tracker.run.energy_kwh * 1000:.3f} Wh, "
              f"{tracker.run.co2e_kg * 1000:.3f} g CO2e")
    else:
        accuracy = train()
        try:
            wattprint.log_metric("accuracy", accuracy)
        except wattprint.WattprintError as e:  # run on its own, without `wattprint run`
            print(f"accuracy not logged: {e}", file=sys.stderr)
    print(f"digits MLP: test accuracy {accuracy:.3f} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
