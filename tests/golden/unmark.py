"""Removes known-difference markers (and their KNOWN_DIFFERENCES.md entries) for queries that now match Spark.

    python3 tests/golden/unmark.py nulls.sql#3 regex.sql#4
"""
import os
import re
import sys

root = os.path.dirname(os.path.abspath(__file__))
for spec in sys.argv[1:]:  # e.g. nulls.sql#3
    topic, n = spec.split("#"); n = int(n)
    path = f"{root}/sql/{topic}"
    parts = open(path).read().split("-- query\n")
    # parts[0] is the preamble; query k is parts[k]
    parts[n] = re.sub(r"^-- known-difference:.*\n", "", parts[n], flags=re.M)
    open(path, "w").write("-- query\n".join(parts))
    md = open(f"{root}/KNOWN_DIFFERENCES.md").read()
    md = re.sub(rf"\n## {re.escape(topic)} #{n}:.*?(?=\n## |\Z)", "\n", md, flags=re.S)
    md = re.sub(rf"^\| `{re.escape(topic)} #{n}` \|.*\n", "", md, flags=re.M)
    m = re.search(r"(\d+) of the (\d+) queries differ", md)
    md = md.replace(m.group(0), f"{int(m.group(1)) - 1} of the {m.group(2)} queries differ")
    md = re.sub(r"\n{3,}", "\n\n", md)
    open(f"{root}/KNOWN_DIFFERENCES.md", "w").write(md)
    print("unmarked", spec)
