#!/usr/bin/env python3
"""Reference answers for the five day-1 labs, computed in plain Python.

This script is deliberately independent of Flint: it reads the committed
files in datasets/ with the Python standard library only and writes
datasets/reference/day1_expected.json, which Flint's lab tests compare to.

What it computes (one JSON key each):
  ratings_histogram   count of each rating value in film.data, [[rating, count]]
                      sorted by rating.
  friends_by_age      mean numFriends per age in fakefriends.csv (sum of ints /
                      count, a float), [[age, mean]] sorted by age.
  min_temperatures    TMIN rows of 1800.csv only: per station, the minimum of
                      value * 0.1 * (9.0 / 5.0) + 32.0 (Fahrenheit, converted
                      per row exactly as the course does), sorted by station.
  max_temperatures    the same for TMAX rows with max.
  word_count          words of book.txt as the course normalises them:
                      re.compile(r'\\W+', re.UNICODE).split(line.lower()) per
                      line, empty strings dropped; distinct and total counts
                      and the 20 most frequent [word, count] sorted by count
                      descending then word ascending (ties reported).
  customer_spend      total amount per customer in customer-orders.csv, summed
                      as Python floats in file order, [[customer_id, total]]
                      sorted by total ascending (ties by id); customer count.
  popular_movies      the 10 most-rated item ids of film.data with counts and
                      film.item titles, sorted by count descending then id
                      ascending.
Floats are written at full precision (json uses repr, which round-trips).
Float sums depend on summation order: a distributed engine adding partial
sums in another order may differ from customer_spend in the last bits, so
compare those with a small relative tolerance (1e-9 is ample).

Generated with CPython 3.11.7 (any Python 3.8+ gives the same output).
Regenerate after changing the datasets:
    python3 datasets/gen/generate.py all --out datasets
    python3 datasets/reference/day1.py
Options: --data DIR (default: the datasets/ folder next to this script's
folder), --out FILE (default: day1_expected.json next to this script).
"""

import argparse
import hashlib
import json
import os
import platform
import re

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = ["film.data", "film.item", "fakefriends.csv", "1800.csv",
          "customer-orders.csv", "book.txt"]


def read_lines(path):
    with open(path, encoding="ascii", newline="") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                yield line


def ratings_histogram(data):
    counts = {}
    for line in read_lines(os.path.join(data, "film.data")):
        rating = int(line.split("\t")[2])
        counts[rating] = counts.get(rating, 0) + 1
    return [[r, counts[r]] for r in sorted(counts)]


def friends_by_age(data):
    totals = {}   # age -> [sum of numFriends, number of people]
    for line in read_lines(os.path.join(data, "fakefriends.csv")):
        fields = line.split(",")
        age, friends = int(fields[2]), int(fields[3])
        t = totals.setdefault(age, [0, 0])
        t[0] += friends
        t[1] += 1
    return [[age, totals[age][0] / totals[age][1]] for age in sorted(totals)]


def temperatures(data, kind, pick):
    best = {}
    for line in read_lines(os.path.join(data, "1800.csv")):
        fields = line.split(",")
        if fields[2] != kind:
            continue
        f = float(fields[3]) * 0.1 * (9.0 / 5.0) + 32.0
        station = fields[0]
        best[station] = f if station not in best else pick(best[station], f)
    return [[s, best[s]] for s in sorted(best)]


def word_count(data, top_n=20):
    splitter = re.compile(r"\W+", re.UNICODE)
    counts = {}
    total = 0
    for line in read_lines(os.path.join(data, "book.txt")):
        for word in splitter.split(line.lower()):
            if word:
                counts[word] = counts.get(word, 0) + 1
                total += 1
    ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    top = [[w, c] for w, c in ranked[:top_n]]
    # Ties: counts shared by more than one word within the top list, and
    # whether the cut after top_n splits a tie (then the set is not unique).
    tied = {}
    for w, c in top:
        tied.setdefault(c, []).append(w)
    ties = [[c, ws] for c, ws in sorted(tied.items(), key=lambda t: -t[0])
            if len(ws) > 1]
    boundary_tie = (len(ranked) > top_n
                    and ranked[top_n - 1][1] == ranked[top_n][1])
    return {
        "distinct_words": len(counts),
        "total_words": total,
        "top20": top,
        "ties_in_top20": ties,
        "tie_at_cutoff": boundary_tie,
    }


def customer_spend(data):
    totals = {}
    for line in read_lines(os.path.join(data, "customer-orders.csv")):
        fields = line.split(",")
        cust = int(fields[0])
        totals[cust] = totals.get(cust, 0.0) + float(fields[2])
    ranked = sorted(totals.items(), key=lambda ct: (ct[1], ct[0]))
    return {
        "customers": len(totals),
        "by_total": [[c, t] for c, t in ranked],
    }


def popular_movies(data, top_n=10):
    counts = {}
    for line in read_lines(os.path.join(data, "film.data")):
        item = int(line.split("\t")[1])
        counts[item] = counts.get(item, 0) + 1
    titles = {}
    for line in read_lines(os.path.join(data, "film.item")):
        fields = line.split("|")
        titles[int(fields[0])] = fields[1]
    ranked = sorted(counts.items(), key=lambda ic: (-ic[1], ic[0]))[:top_n]
    return [[i, c, titles[i]] for i, c in ranked]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.dirname(HERE))
    ap.add_argument("--out", default=os.path.join(HERE, "day1_expected.json"))
    a = ap.parse_args()
    d = a.data
    result = {
        "_about": ("Reference answers of the day-1 labs, computed by "
                   "datasets/reference/day1.py in plain Python %s. "
                   "Regenerate: python3 datasets/reference/day1.py"
                   % platform.python_version()),
        "inputs_sha256": {name: sha256(os.path.join(d, name))
                          for name in INPUTS},
        "ratings_histogram": ratings_histogram(d),
        "friends_by_age": friends_by_age(d),
        "min_temperatures": temperatures(d, "TMIN", min),
        "max_temperatures": temperatures(d, "TMAX", max),
        "word_count": word_count(d),
        "customer_spend": customer_spend(d),
        "popular_movies": popular_movies(d),
    }
    with open(a.out, "w", encoding="ascii", newline="\n") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
