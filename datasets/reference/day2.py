"""Reference answers of the day-2 labs that Flint's tests check, computed in plain Python (3.11.7).

accumulator_lab: over film-malformed.data, the number of malformed lines (not exactly 4 tab-separated fields
with integer user, item, timestamp and a rating in 1..5) and the histogram of the ratings of the good lines.
friends_by_age: over fakefriends.csv (id,name,age,friends), the mean number of friends per age, rounded half up to
two decimals as Spark's round (on the double's exact value), in age order.
teenagers: the number of people aged 13 to 19 and the names of the five youngest (by age, then name).
decades: the number of people per decade of age (age // 10 * 10), in decade order.
popular_movies: the five most rated movies of film.data (most ratings first, then lowest id), with their titles
from film.item.
ratings_count: the number of lines of film.data (the persistence lab counts them twice).
age_histogram: the counts of fakefriends' ages in 5 equal bins from the smallest age to the largest (the last bin
includes the largest), as Spark's plot.hist bins them.

Regenerate: python3 datasets/reference/day2.py   (writes datasets/reference/day2_expected.json)
"""
import json
import os
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

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


def people():
    with open(os.path.join(DATA, "fakefriends.csv"), encoding="utf-8") as f:
        for line in f:
            id_, name, age, friends = line.rstrip("\n").split(",")
            yield int(id_), name, int(age), int(friends)


def round_half_up(x, digits):
    return float(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def friends_by_age():
    totals = defaultdict(lambda: [0, 0])
    for _, _, age, friends in people():
        totals[age][0] += friends
        totals[age][1] += 1
    return [[age, round_half_up(s / n, 2)] for age, (s, n) in sorted(totals.items())]


def teenagers():
    teens = sorted((age, name) for _, name, age, _ in people() if 13 <= age <= 19)
    return {"count": len(teens), "youngest": [name for _, name in teens[:5]]}


def decades():
    return sorted(Counter(age // 10 * 10 for _, _, age, _ in people()).items())


def popular_movies():
    counts = Counter()
    with open(os.path.join(DATA, "film.data"), encoding="utf-8") as f:
        for line in f:
            counts[int(line.split("\t")[1])] += 1
    titles = {}
    with open(os.path.join(DATA, "film.item"), encoding="utf-8") as f:
        for line in f:
            fields = line.split("|")
            titles[int(fields[0])] = fields[1]
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return [[movie, n, titles[movie]] for movie, n in top]


def age_histogram(bins=5):
    ages = [age for _, _, age, _ in people()]
    lo, hi = min(ages), max(ages)
    width = (hi - lo) / bins
    counts = [0] * bins
    for age in ages:
        counts[min(int((age - lo) / width), bins - 1)] += 1
    return counts


def ratings_count():
    with open(os.path.join(DATA, "film.data"), encoding="utf-8") as f:
        return sum(1 for _ in f)


if __name__ == "__main__":
    out = {
        "_about": __doc__.strip().splitlines()[0],
        "accumulator_lab": accumulator_lab(),
        "friends_by_age": friends_by_age(),
        "teenagers": teenagers(),
        "decades": decades(),
        "popular_movies": popular_movies(),
        "ratings_count": ratings_count(),
        "age_histogram": age_histogram(),
    }
    with open(os.path.join(HERE, "day2_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in out.items() if k != "friends_by_age"}))
