"""Writes the course's lab notebooks (nbformat 4.5) from the cell lists below, without outputs.

    python notebooks/build.py            # then: flint run --inplace notebooks/*.ipynb  (or nbconvert --execute)

Each lab ends with a cell printing its answer on a line starting with `RÉPONSE`; the notebook test
(tests/notebooks/run_notebooks.py) checks those lines against datasets/reference/day1_expected.json.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n")}


def notebook(cells):
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "flint", "display_name": "Flint (Rust)", "language": "rust"},
            "language_info": {"name": "rust", "file_extension": ".rs", "mimetype": "text/rust",
                              "pygments_lexer": "rust", "codemirror_mode": "rust"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


INTRO = """
Ce notebook tourne sur le noyau **Flint (Rust)** : la variable `session` (l'équivalent de `SparkSession` /
`SparkContext`) est déjà créée, et `use flint_engine::prelude::*;` est déjà fait.
"""

LABS = {
    "jour1-01-bases-des-rdd": [
        md("# Jour 1 — Les bases des RDD\n" + INTRO + """
Un RDD (*Resilient Distributed Dataset*) est une collection partitionnée et immuable. Les **transformations**
(`map`, `filter`, `flat_map`…) sont paresseuses : elles ne font qu'ajouter une étape à la lignée. Les **actions**
(`collect`, `count`, `reduce`…) déclenchent le calcul."""),
        code("let nombres = session.parallelize((1..=10).collect::<Vec<i64>>(), 2);\nnombres.num_partitions()"),
        md("## Transformations paresseuses, puis une action"),
        code("let carres = nombres.map(|x| x * x);\nlet pairs = carres.filter(|x| x % 2 == 0);\npairs.collect()?"),
        code("let somme = carres.reduce(|a, b| a + b)?;\nprintln!(\"somme des carrés : {somme}\");"),
        md("## `flat_map` : une ligne, plusieurs éléments"),
        code("let phrases = session.parallelize(vec![\"le chat dort\".to_string(), \"le chien court\".to_string()], 2);\n"
             "let mots = phrases.flat_map(|p| p.split(' ').map(String::from).collect::<Vec<_>>());\n"
             "mots.count_by_value()?.len()"),
        md("## Réponse"),
        code("println!(\"RÉPONSE somme={} mots={}\", somme, mots.count()?);"),
    ],
    "jour1-02-histogramme-des-notes": [
        md("# Jour 1 — Histogramme des notes de films\n" + INTRO + """
Chaque ligne de `film.data` est `utilisateur<TAB>film<TAB>note<TAB>horodatage`. On compte combien de fois chaque
note (1 à 5) apparaît, avec l'action `count_by_value` (Spark : `countByValue`)."""),
        code("let lignes = session.text_file(&datasets::path(\"film.data\"), 2)?;\nlignes.first()?"),
        code("let notes = lignes.flat_map(|ligne| ligne.split('\\t').nth(2).and_then(|n| n.parse::<u8>().ok()));\n"
             "let mut histogramme: Vec<(u8, u64)> = notes.count_by_value()?.into_iter().collect();\n"
             "histogramme.sort();\n"
             "for (note, nombre) in &histogramme {\n    println!(\"{note} {nombre}\");\n}"),
        md("## Réponse"),
        code("println!(\"RÉPONSE {:?}\", histogramme);"),
    ],
    "jour1-03-amis-par-age": [
        md("# Jour 1 — Nombre moyen d'amis par âge\n" + INTRO + """
`fakefriends.csv` : `id,nom,âge,amis`. On forme des paires `(âge, amis)`, puis on somme amis et effectifs par
âge avec `map_values` et `reduce_by_key` (Spark : `mapValues`, `reduceByKey`)."""),
        code("fn analyse(ligne: &str) -> Option<(u32, u32)> {\n"
             "    let champs: Vec<&str> = ligne.split(',').collect();\n"
             "    Some((champs.get(2)?.trim().parse().ok()?, champs.get(3)?.trim().parse().ok()?))\n}"),
        code("let paires = session.text_file(&datasets::path(\"fakefriends.csv\"), 2)?.flat_map(|l| analyse(&l));\n"
             "let totaux = paires.map_values(|amis| (u64::from(amis), 1u64))\n"
             "    .reduce_by_key(|(a1, n1), (a2, n2)| (a1 + a2, n1 + n2));\n"
             "let moyennes = totaux.map_values(|(amis, n)| amis as f64 / n as f64).sort_by_key(true).collect()?;\n"
             "moyennes.iter().take(5).collect::<Vec<_>>()"),
        md("## Réponse"),
        code("println!(\"RÉPONSE {:?}\", moyennes);"),
    ],
    "jour1-04-temperatures-minimales": [
        md("# Jour 1 — Températures minimales par station\n" + INTRO + """
`1800.csv` : `station,date,type,valeur,…` où la valeur est en dixièmes de degré Celsius. On garde les lignes
`TMIN`, on convertit en Fahrenheit et on prend le minimum par station (`reduce_by_key(f64::min)`)."""),
        code("fn analyse(ligne: &str) -> Option<(String, String, f64)> {\n"
             "    let mut champs = ligne.split(',');\n"
             "    let station = champs.next()?.to_string();\n"
             "    let genre = champs.nth(1)?.to_string();\n"
             "    let dixiemes: f64 = champs.next()?.trim().parse().ok()?;\n"
             "    Some((station, genre, dixiemes * 0.1 * (9.0 / 5.0) + 32.0))\n}"),
        code("let mesures = session.text_file(&datasets::path(\"1800.csv\"), 2)?.flat_map(|l| analyse(&l));\n"
             "let minimums = mesures.filter(|(_, genre, _)| genre == \"TMIN\")\n"
             "    .map(|(station, _, t)| (station, t))\n"
             "    .reduce_by_key(f64::min)\n"
             "    .sort_by_key(true)\n"
             "    .collect()?;\n"
             "for (station, t) in &minimums {\n    println!(\"{station}\\t{t:.2}F\");\n}"),
        md("## Réponse"),
        code("println!(\"RÉPONSE {:?}\", minimums);"),
    ],
    "jour1-05-comptage-de-mots": [
        md("# Jour 1 — Comptage de mots\n" + INTRO + """
On découpe `book.txt` en mots normalisés (minuscules, lettres et chiffres), on compte avec `reduce_by_key`, puis
on trie par nombre décroissant avec `sort_by`."""),
        code("fn mots(ligne: &str) -> Vec<String> {\n"
             "    ligne.split(|c: char| !(c.is_alphanumeric() || c == '_'))\n"
             "        .filter(|m| !m.is_empty())\n        .map(str::to_lowercase)\n        .collect()\n}"),
        code("let comptes = session.text_file(&datasets::path(\"book.txt\"), 2)?\n"
             "    .flat_map(|l| mots(&l))\n"
             "    .map(|m| (m, 1u64))\n"
             "    .reduce_by_key(|a, b| a + b)\n"
             "    .sort_by(|(mot, n)| (std::cmp::Reverse(*n), mot.clone()), true)\n"
             "    .collect()?;\n"
             "comptes.iter().take(10).collect::<Vec<_>>()"),
        md("## Réponse"),
        code("println!(\"RÉPONSE distincts={} total={} premiers={:?}\", comptes.len(),\n"
             "    comptes.iter().map(|(_, n)| n).sum::<u64>(), &comptes[..5]);"),
    ],
    "jour1-06-depenses-clients": [
        md("# Jour 1 — Dépenses totales par client\n" + INTRO + """
`customer-orders.csv` : `client,article,montant`. On somme les montants par client, puis on trie par total."""),
        code("fn analyse(ligne: &str) -> Option<(u32, f64)> {\n"
             "    let mut champs = ligne.split(',');\n"
             "    let client = champs.next()?.trim().parse().ok()?;\n"
             "    let montant = champs.nth(1)?.trim().parse().ok()?;\n"
             "    Some((client, montant))\n}"),
        code("let totaux = session.text_file(&datasets::path(\"customer-orders.csv\"), 2)?\n"
             "    .flat_map(|l| analyse(&l))\n"
             "    .reduce_by_key(|a, b| a + b)\n"
             "    .sort_by(|(_, total)| OrderedF64(*total), true)\n"
             "    .collect()?;\n"
             "totaux.len()"),
        md("## Réponse"),
        code("let (client, total) = totaux[totaux.len() - 1];\n"
             "println!(\"RÉPONSE clients={} premier={} total={:.2}\", totaux.len(), client, total);"),
    ],
    "jour1-07-lignee-et-etapes": [
        md("# Jour 1 — Les coulisses : lignée et étapes\n" + INTRO + """
Une action devient un **job**, découpé en **étapes** (*stages*) aux frontières de *shuffle* ; chaque étape
lance une tâche par partition. `to_debug_string` montre la lignée, comme `toDebugString` dans Spark."""),
        code("let comptes = session.text_file(&datasets::path(\"book.txt\"), 2)?\n"
             "    .flat_map(|l| l.split(' ').map(String::from).collect::<Vec<_>>())\n"
             "    .map(|m| (m, 1u64))\n"
             "    .reduce_by_key(|a, b| a + b);\n"
             "println!(\"{}\", comptes.to_debug_string());"),
        md("Le `reduce_by_key` introduit un shuffle : la lignée a deux étapes. La première agrège localement "
           "(combinaison côté map), la seconde fusionne."),
        code("let n = comptes.count()?;\nprintln!(\"RÉPONSE partitions={} mots={}\", comptes.num_partitions(), n);"),
    ],
}


def main():
    names = sys.argv[1:] or list(LABS)
    for name in names:
        path = os.path.join(HERE, name + ".ipynb")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(notebook(LABS[name]), f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(path)


if __name__ == "__main__":
    main()
