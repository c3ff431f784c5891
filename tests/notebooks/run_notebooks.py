"""Executes the lab notebooks through the installed Flint kernel with a real Jupyter client (nbclient), then checks
each lab's `RÉPONSE` line against the independently computed answers in datasets/reference/.

    python tests/notebooks/run_notebooks.py [--inplace] NOTEBOOK...

A cell error fails the run (nbclient raises CellExecutionError). Prints one line per notebook.
"""
import concurrent.futures
import json
import math
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reference(name):
    with open(os.path.join(ROOT, "datasets", "reference", name), encoding="utf-8") as f:
        return json.load(f)


def rust_debug_to_json(text):
    """Rust's `{:?}` of vectors of tuples of numbers and strings, as JSON."""
    return json.loads(text.replace("(", "[").replace(")", "]"))


def close(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def check(name, answer):
    """Compares a lab's answer line (after `RÉPONSE `) with the reference; returns an error message or None."""
    day1 = reference("day1_expected.json")
    if name == "jour1-01-bases-des-rdd":
        # Worked by hand: 4+16+36+64+100 = 220 is the even squares; the sum of all squares 1..10 is 385.
        expected = "somme=385 mots=6"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour1-02-histogramme-des-notes":
        got = rust_debug_to_json(answer)
        return None if close(got, day1["ratings_histogram"]) else f"expected {day1['ratings_histogram']}"
    if name == "jour1-03-amis-par-age":
        got = rust_debug_to_json(answer)
        return None if close(got, day1["friends_by_age"]) else "friends by age differ from the reference"
    if name == "jour1-04-temperatures-minimales":
        got = rust_debug_to_json(answer)
        return None if close(got, day1["min_temperatures"]) else f"expected {day1['min_temperatures']}"
    if name == "jour1-05-comptage-de-mots":
        wc = day1["word_count"]
        m = re.fullmatch(r"distincts=(\d+) total=(\d+) premiers=(.*)", answer)
        if not m:
            return "unreadable answer"
        ok = int(m[1]) == wc["distinct_words"] and int(m[2]) == wc["total_words"]
        ok = ok and close(rust_debug_to_json(m[3]), wc["top20"][:5])
        return None if ok else f"expected {wc['distinct_words']} distinct, {wc['total_words']} words, {wc['top20'][:5]}"
    if name == "jour1-06-depenses-clients":
        spend = day1["customer_spend"]
        top, total = spend["by_total"][-1]
        expected = f"clients={spend['customers']} premier={top} total={total:.2f}"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour1-07-lignee-et-etapes":
        expected = f"partitions=2 mots="
        return None if answer.startswith(expected) else f"expected {expected!r}…"
    day2 = reference("day2_expected.json")
    if name == "jour2-01-dataframes":
        ages = day2["friends_by_age"]
        m = re.fullmatch(r"ages=(\d+) premiers=(.*)", answer)
        ok = m is not None and int(m[1]) == len(ages) and close(rust_debug_to_json(m[2]), ages[:5])
        return None if ok else f"expected ages={len(ages)} premiers={ages[:5]}"
    if name == "jour2-02-sql":
        teens = day2["teenagers"]
        expected = f"ados={teens['count']} plus_jeunes={json.dumps(teens['youngest'], ensure_ascii=False)}"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour2-03-udf":
        return None if close(rust_debug_to_json(answer), day2["decades"]) else f"expected {day2['decades']}"
    if name == "jour2-04-variables-diffusees":
        top = day2["popular_movies"]
        expected = " ".join(f"{movie}:{n}" for movie, n, _ in top) + f" premier={top[0][2]}"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour2-05-accumulateurs":
        lab = day2["accumulator_lab"]
        m = re.fullmatch(r"mal_formees=(\d+) histogramme=(.*)", answer)
        ok = m is not None and int(m[1]) == lab["malformed"] and close(rust_debug_to_json(m[2]), lab["histogram"])
        return None if ok else f"expected {lab}"
    if name == "jour2-06-persistance":
        # The ratings come from Python's count of the file; the second action reads no line but the two cached
        # partitions (the RDD has 2), worked out from what cache() promises.
        n = day2["ratings_count"]
        expected = f"lignes={n} lues_1={n} lues_2=0 cache_2=2"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour2-07-graphiques":
        expected = f"notes={len(day1['ratings_histogram'])} ages={day2['age_histogram']}"
        return None if answer == expected else f"expected {expected!r}"
    if name == "jour3-01-mllib":
        ml, als = reference("mllib_stat_expected.json"), reference("als_expected.json")
        m = re.fullmatch(r"cout=(\S+) variance=(.*) rmse=(\S+)", answer)
        ok = m is not None and close(float(m[1]), ml["iris_kmeans"]["inertia"])
        ok = ok and close(json.loads(m[2]), ml["iris_pca"]["explained_variance_ratio"])
        ok = ok and float(m[3]) <= als["spark_rmse_mean"] + 0.005
        return None if ok else (f"expected cout={ml['iris_kmeans']['inertia']}, variance "
                                f"{ml['iris_pca']['explained_variance_ratio']}, rmse <= {als['spark_rmse_mean']} + 0.005")
    if name == "jour3-02-regressions":
        lin, log = reference("linear_regression_expected.json"), reference("logistic_regression_expected.json")
        m = re.fullmatch(r"r2=(\S+) exactitude=(\S+) identiques=(\S+)", answer)
        want_r2 = lin["cases"]["ols"]["spark"]["r2"]
        want_acc = log["cases"]["binomial_l2_standardized"]["spark"]["accuracy"]
        ok = m is not None and close(float(m[1]), want_r2) and close(float(m[2]), want_acc) and m[3] == "true"
        return None if ok else f"expected r2={want_r2}, exactitude={want_acc}, identiques=true"
    if name == "jour4-01-flux-iot":
        iot = reference("iot_expected.json")
        counts = ",".join(f"{a}:{n}" for a, n in iot["static_counts"])
        expected = f"statique={counts} flux={counts} fenetres={len(iot['window_counts'])} lots=50"
        return None if answer == expected else f"expected {expected!r}"
    return "no reference for this notebook"


def answer_of(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                for line in output["text"].splitlines():
                    if line.startswith("RÉPONSE "):
                        return line[len("RÉPONSE "):]
    return None


def run_one(path, inplace):
    """Executes and checks one notebook; returns its result line and whether it failed."""
    name = os.path.splitext(os.path.basename(path))[0]
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = NotebookClient(nb, kernel_name="flint", timeout=600, startup_timeout=300,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    try:
        client.execute()
    except Exception as e:  # a cell error: report which notebook, go on with the others
        return f"FAIL {name}: {e}", True
    elapsed = time.monotonic() - started
    answer = answer_of(nb)
    problem = "no RÉPONSE line" if answer is None else check(name, answer)
    charts = sum("application/vnd.plotly.v1+json" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    if name == "jour2-07-graphiques" and not problem and charts != 5:
        problem = f"expected 5 Plotly charts, found {charts}"
    if inplace:
        nbformat.write(nb, path)
    if problem:
        return f"FAIL {name}: {problem}; got {answer!r}", True
    return f"ok   {name} ({elapsed:.1f} s): {answer[:100]}", False


def main(argv):
    inplace = "--inplace" in argv
    paths = [a for a in argv if a != "--inplace"]
    # Two kernels at a time by default: a kernel's first cell is rust-analyzer's single-threaded first pass, so
    # a second kernel keeps the other core busy (FLINT_NOTEBOOK_JOBS=1 runs them one by one).
    jobs = max(1, int(os.environ.get("FLINT_NOTEBOOK_JOBS", "2")))
    failures = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        for line, failed in pool.map(run_one, paths, [inplace] * len(paths)):
            print(line, flush=True)
            failures += failed
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
