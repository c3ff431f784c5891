"""Reference answers of the day-2 labs that Flint's tests check, computed in plain Python (3.11.7).

accumulator_lab: over film-malformed.data, the number of malformed lines (not exactly 4 tab-separated fields
with integer user, item, timestamp and a rating in 1..5) and the histogram of the ratings of the good lines.

Regenerate: python3 datasets/reference/day2.py   (writes datasets/reference/day2_expected.json)
"""
import json
import os
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)


def parse(line):
    fields = line.split("\t")
    if len(fields) != 4:
        return None
    try:
        user, item, rating, ts = (int(f) for f in fields)
    except ValueError:
        return None
    return rating if 1 <= rating <= 5 else None


def accumulator_lab():
    malformed = 0
    ratings = Counter()
    with open(os.path.join(DATA, "film-malformed.data"), encoding="utf-8") as f:
        for line in f.read().split("\n")[:-1]:
            rating = parse(line)
            if rating is None:
                malformed += 1
            else:
                ratings[rating] += 1
    return {"malformed": malformed, "histogram": sorted(ratings.items())}


if __name__ == "__main__":
    out = {"_about": __doc__.strip().splitlines()[0], "accumulator_lab": accumulator_lab()}
    with open(os.path.join(HERE, "day2_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out["accumulator_lab"]))
