"""Exports one of scikit-learn's bundled datasets to datasets/NAME.csv: the features, then the target, one row per
line, comma-separated, no header; floats as Python's repr (round-trip exact), an integer target as an integer."""
import os

DATA = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def export(bunch, name):
    path = os.path.join(DATA, name + ".csv")
    with open(path, "w") as f:
        for row, target in zip(bunch.data, bunch.target):
            t = int(target) if float(target).is_integer() and bunch.target.dtype.kind in "iu" else float(target)
            f.write(",".join(repr(float(v)) for v in row) + f",{t!r}\n")
    return path
