"""Writes the course's lab notebooks (nbformat 4.5) from the cell lists below, without outputs.

    python notebooks/build.py            # then: flint run --inplace notebooks/*.ipynb  (or nbconvert --execute)

Each lab ends with a cell printing its answer on a line starting with `RÉPONSE`; the notebook test
(tests/notebooks/run_notebooks.py) checks those lines against datasets/reference/day1_expected.json and
day2_expected.json.
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
    ],    "jour2-01-dataframes": [
        md("# Jour 2 — Les DataFrames\n" + INTRO + """
Un **DataFrame** est une table distribuée avec un schéma : des colonnes nommées et typées. Les transformations
(`select`, `filter`, `group_by`…) restent paresseuses ; `show()` et `collect()` sont des actions. On reprend le
nombre moyen d'amis par âge, cette fois sans écrire d'analyse de lignes."""),
        code("let personnes = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"fakefriends.csv\"))?\n"
             "    .to_df([\"id\", \"nom\", \"age\", \"amis\"])?;\n"
             "personnes.print_schema();"),
        code("personnes.filter(col(\"age\").lt(lit(21)))?.select([\"nom\", \"age\"])?"),
        md("## Agrégation par âge\n`group_by(..).agg(..)` calcule un agrégat par groupe ; `round(.., 2)` arrondit "
           "comme Spark (au plus proche, les moitiés vers le haut)."),
        code("let par_age = personnes.group_by([\"age\"])\n"
             "    .agg([round(avg(\"amis\"), 2).alias(\"amis_moyens\")])?\n"
             "    .sort([\"age\"])?;\n"
             "par_age.show_n(5, false)?;"),
        md("## Réponse"),
        code("let premiers: Vec<(i32, f64)> = par_age.take(5)?.iter()\n"
             "    .map(|r| Ok((r.get_as::<i32>(\"age\")?, r.get_as::<f64>(\"amis_moyens\")?)))\n"
             "    .collect::<Result<_>>()?;\n"
             "println!(\"RÉPONSE ages={} premiers={:?}\", par_age.count()?, premiers);"),
    ],
    "jour2-02-sql": [
        md("# Jour 2 — Spark SQL\n" + INTRO + """
Un DataFrame enregistré comme **vue temporaire** s'interroge en SQL avec `session.sql`, qui rend un DataFrame.
Une cellule qui commence par `%%sql` exécute directement sa requête et affiche le résultat."""),
        code("let personnes = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"fakefriends.csv\"))?\n"
             "    .to_df([\"id\", \"nom\", \"age\", \"amis\"])?;\n"
             "personnes.create_or_replace_temp_view(\"personnes\")?;"),
        code("let ados = session.sql(\"SELECT nom, age FROM personnes WHERE age BETWEEN 13 AND 19 ORDER BY age, nom\")?;\n"
             "ados"),
        md("## Une cellule `%%sql`"),
        code("%%sql\nSELECT age, count(*) AS n, round(avg(amis), 1) AS amis_moyens\nFROM personnes\n"
             "GROUP BY age\nORDER BY n DESC, age\nLIMIT 5"),
        md("## Réponse"),
        code("let noms: Vec<String> = ados.take(5)?.iter().map(|r| r.get_as::<String>(\"nom\")).collect::<Result<_>>()?;\n"
             "println!(\"RÉPONSE ados={} plus_jeunes={:?}\", ados.count()?, noms);"),
    ],
    "jour2-03-udf": [
        md("# Jour 2 — Fonctions définies par l'utilisateur (UDF)\n" + INTRO + """
Une **UDF** applique une fonction Rust à chaque ligne. `udf(nom, closure)` la crée ; elle s'utilise dans les
expressions des DataFrames, et en SQL une fois enregistrée avec `session.register_udf`."""),
        code("let personnes = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"fakefriends.csv\"))?\n"
             "    .to_df([\"id\", \"nom\", \"age\", \"amis\"])?;\n"
             "let decennie = udf(\"decennie\", |age: i64| age / 10 * 10);"),
        code("let par_decennie = personnes.with_column(\"decennie\", decennie.call([\"age\"]))?\n"
             "    .group_by([\"decennie\"]).count()?\n"
             "    .sort([\"decennie\"])?;\n"
             "par_decennie"),
        md("## La même UDF en SQL"),
        code("session.register_udf(&decennie)?;\npersonnes.create_or_replace_temp_view(\"personnes\")?;\n"
             "session.sql(\"SELECT decennie(age) AS d, max(amis) AS record FROM personnes GROUP BY d ORDER BY d\")?"),
        md("## Réponse"),
        code("let comptes: Vec<(i64, i64)> = par_decennie.collect()?.iter()\n"
             "    .map(|r| Ok((r.get_as::<i64>(\"decennie\")?, r.get_as::<i64>(\"count\")?)))\n"
             "    .collect::<Result<_>>()?;\n"
             "println!(\"RÉPONSE {:?}\", comptes);"),
    ],
    "jour2-04-variables-diffusees": [
        md("# Jour 2 — Variables diffusées : les films les plus populaires\n" + INTRO + """
Pour afficher le titre des films les plus notés, on pourrait joindre `film.item`. Ici, la table des titres est
petite : on la **diffuse** (`session.broadcast`) une fois à toutes les tâches, et une UDF la consulte."""),
        code("use std::collections::HashMap;\n"
             "let titres: HashMap<i64, String> = std::fs::read_to_string(datasets::path(\"film.item\"))\n"
             "    .map_err(|e| Error::Io { action: \"reading\", path: datasets::path(\"film.item\").into(), source: e })?\n"
             "    .lines()\n"
             "    .filter_map(|l| { let mut c = l.split('|'); Some((c.next()?.parse().ok()?, c.next()?.to_string())) })\n"
             "    .collect();\n"
             "let titres = session.broadcast(titres);\n"
             "titres.value().len()"),
        code("let titre = udf(\"titre\", move |film: i64| titres.value().get(&film).cloned());\n"
             "let notes = session.read().option(\"sep\", \"\\t\").option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"film.data\"))?\n"
             "    .to_df([\"utilisateur\", \"film\", \"note\", \"horodatage\"])?;\n"
             "let populaires = notes.group_by([\"film\"]).count()?\n"
             "    .order_by([col(\"count\").desc(), col(\"film\").asc()])?\n"
             "    .limit(5)?\n"
             "    .with_column(\"titre\", titre.call([\"film\"]))?;\n"
             "populaires"),
        md("## Réponse"),
        code("let lignes = populaires.collect()?;\n"
             "let films: Vec<String> = lignes.iter()\n"
             "    .map(|r| Ok(format!(\"{}:{}\", r.get_as::<i32>(\"film\")?, r.get_as::<i64>(\"count\")?)))\n"
             "    .collect::<Result<_>>()?;\n"
             "println!(\"RÉPONSE {} premier={}\", films.join(\" \"), lignes[0].get_as::<String>(\"titre\")?);"),
    ],
    "jour2-05-accumulateurs": [
        md("# Jour 2 — Accumulateurs : compter les lignes mal formées\n" + INTRO + """
`film-malformed.data` contient quelques lignes abîmées. Un **accumulateur** compte celles qu'on écarte pendant le
calcul : les tâches ajoutent, seul le pilote lit la valeur, une fois l'action terminée."""),
        code("fn note(ligne: &str) -> Option<u8> {\n"
             "    let champs: Vec<&str> = ligne.split('\\t').collect();\n"
             "    if champs.len() != 4 { return None; }\n"
             "    champs[0].parse::<u64>().ok()?;\n    champs[1].parse::<u64>().ok()?;\n    champs[3].parse::<u64>().ok()?;\n"
             "    champs[2].parse::<u8>().ok().filter(|n| (1..=5).contains(n))\n}"),
        code("let mal_formees = session.long_accumulator(\"lignes mal formées\");\n"
             "let compteur = mal_formees.clone();\n"
             "let notes = session.text_file(&datasets::path(\"film-malformed.data\"), 2)?.flat_map(move |l| {\n"
             "    let n = note(&l);\n    if n.is_none() { compteur.add(1); }\n    n\n});\n"
             "let mut histogramme: Vec<(u8, u64)> = notes.count_by_value()?.into_iter().collect();\n"
             "histogramme.sort();\n"
             "println!(\"lignes mal formées : {}\", mal_formees.value());"),
        md("## Réponse"),
        code("println!(\"RÉPONSE mal_formees={} histogramme={:?}\", mal_formees.value(), histogramme);"),
    ],
    "jour2-06-persistance": [
        md("# Jour 2 — Persistance : `cache()`\n" + INTRO + """
Sans persistance, chaque action relit le fichier et refait toute la lignée. Avec `cache()` (ou
`persist(StorageLevel::MEMORY_ONLY)`), la première action garde les partitions calculées et la seconde les relit
depuis le cache. Les métriques des tâches le montrent : lignes lues et partitions servies par le cache."""),
        code("let journal = EventLog::new();\nsession.add_listener(journal.clone());\n"
             "let notes = session.text_file(&datasets::path(\"film.data\"), 2)?\n"
             "    .flat_map(|l| l.split('\\t').nth(2).and_then(|n| n.parse::<u32>().ok()))\n"
             "    .cache();\n"
             "fn bilan(journal: &EventLog) -> TaskMetrics {\n"
             "    journal.completed_stages().into_iter().fold(TaskMetrics::default(), |mut t, (_, m)| { t.merge(&m); t })\n}"),
        code("journal.clear();\nlet nombre = notes.count()?;\nlet premiere = bilan(&journal);\n"
             "println!(\"count = {nombre} : {} lignes lues, {} partitions du cache\", premiere.records_read, premiere.cache_hits);"),
        code("journal.clear();\nlet somme = notes.sum()?;\nlet seconde = bilan(&journal);\n"
             "println!(\"sum = {somme} : {} lignes lues, {} partitions du cache\", seconde.records_read, seconde.cache_hits);"),
        md("## Réponse"),
        code("println!(\"RÉPONSE lignes={} lues_1={} lues_2={} cache_2={}\", nombre, premiere.records_read,\n"
             "    seconde.records_read, seconde.cache_hits);"),
    ],
    "jour2-07-graphiques": [
        md("# Jour 2 — Graphiques : `df.plot()`\n" + INTRO + """
Comme `df.plot` de Spark 4, `df.plot()` dessine un DataFrame avec Plotly : `bar`, `barh`, `line`, `area`,
`scatter`, `pie` sur les premières lignes (1000 au plus), `hist`, `box_plot` et `kde` sur toutes les lignes.
JupyterLab affiche le graphique interactif ; ailleurs, une image SVG le remplace."""),
        code("let notes = session.read().option(\"sep\", \"\\t\").option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"film.data\"))?\n"
             "    .to_df([\"utilisateur\", \"film\", \"note\", \"horodatage\"])?;\n"
             "let histogramme = notes.group_by([\"note\"]).count()?.sort([\"note\"])?;\n"
             "histogramme.plot().bar(\"note\", &[\"count\"])?"),
        code("let personnes = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"fakefriends.csv\"))?\n"
             "    .to_df([\"id\", \"nom\", \"age\", \"amis\"])?;\n"
             "let par_age = personnes.group_by([\"age\"]).agg([avg(\"amis\").alias(\"amis_moyens\")])?.sort([\"age\"])?;\n"
             "par_age.plot().line(\"age\", &[\"amis_moyens\"])?"),
        md("## Distributions : histogramme, boîte à moustaches, densité"),
        code("personnes.plot().hist(&[\"age\"], 5)?"),
        code("personnes.plot().box_plot(&[\"amis\"])?"),
        code("personnes.plot().kde(&[\"age\"], None, 100)?"),
        md("## Réponse\nLes effectifs de l'histogramme des âges, recalculés avec un filtre par classe."),
        code("let bornes = personnes.agg([min(\"age\").alias(\"lo\"), max(\"age\").alias(\"hi\")])?.take(1)?;\n"
             "let (bas, haut) = (bornes[0].get_as::<i32>(\"lo\")? as f64, bornes[0].get_as::<i32>(\"hi\")? as f64);\n"
             "let largeur = (haut - bas) / 5.0;\n"
             "let mut effectifs = Vec::new();\n"
             "for i in 0..5 {\n"
             "    let (a, b) = (bas + largeur * i as f64, bas + largeur * (i + 1) as f64);\n"
             "    let dans = if i == 4 { col(\"age\").geq(lit(a)).and(col(\"age\").leq(lit(b))) }\n"
             "               else { col(\"age\").geq(lit(a)).and(col(\"age\").lt(lit(b))) };\n"
             "    effectifs.push(personnes.filter(dans)?.count()?);\n}\n"
             "println!(\"RÉPONSE notes={} ages={:?}\", histogramme.count()?, effectifs);"),
    ],
    "jour3-01-mllib": [
        md("# Jour 3 — MLlib : statistiques, ACP, k-means, ALS\n" + INTRO + """
MLlib est là aussi : `use flint_mllib::prelude::*;` est fait. Les vecteurs (`Vectors::dense`, `Vectors::sparse`)
s'affichent comme dans Spark, un `VectorAssembler` en fait une colonne `features`, et chaque modèle est un
`Transformer` qui ajoute sa colonne `prediction`."""),
        code("let iris = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"iris.csv\"))?\n"
             "    .to_df([\"sepal_length\", \"sepal_width\", \"petal_length\", \"petal_width\", \"espece\"])?;\n"
             "let assembleur = VectorAssembler::new([\"sepal_length\", \"sepal_width\", \"petal_length\", \"petal_width\"], \"features\");\n"
             "let vecteurs = assembleur.transform(&iris)?;\n"
             "vecteurs.select([\"features\", \"espece\"])?"),
        md("## Statistiques des colonnes et corrélations"),
        code("let lignes = iris.rdd::<(f64, f64, f64, f64, i32)>()?\n"
             "    .map(|(a, b, c, d, _)| Vectors::dense(vec![a, b, c, d]));\n"
             "let resume: MultivariateStatisticalSummary = Statistics::col_stats(&lignes)?;\n"
             "println!(\"moyennes {}\\nvariances {}\", resume.mean()?, resume.variance()?);\n"
             "Statistics::corr(&lignes, CorrelationMethod::Spearman)?"),
        md("## Analyse en composantes principales"),
        code("let (composantes, variance): (DenseMatrix, Vector) = RowMatrix::new(lignes.clone())\n"
             "    .compute_principal_components_and_explained_variance(2)?;\n"
             "println!(\"variance expliquée {variance}\");\ncomposantes"),
        md("## k-means\nDépart fixé (les lignes 0, 50 et 100) pour comparer avec scikit-learn ; sans `initial_centers`, "
           "l'initialisation est k-means‖ comme dans Spark."),
        code("let departs: Vec<Vector> = lignes.collect()?;\n"
             "let kmeans = KMeans::new().k(3).max_iter(300).tol(0.0)\n"
             "    .initial_centers(vec![departs[0].clone(), departs[50].clone(), departs[100].clone()]);\n"
             "let modele: KMeansModel = kmeans.fit(&vecteurs)?;\n"
             "let cout = modele.training_cost();\n"
             "modele.transform(&vecteurs)?.group_by([\"prediction\", \"espece\"]).count()?.order_by([\"prediction\", \"espece\"])?"),
        md("## ALS : films recommandés\nUne note sur cinq (ligne `i` avec `i % 5 == 0`) est mise de côté pour mesurer l'erreur."),
        code("// Les types sont écrits : le noyau garde les variables d'une cellule à l'autre et doit les connaître.\nlet lues: Rdd<(String, u64)> = session.text_file(datasets::path(\"film.data\"), 4)?.zip_with_index()?;\n"
             "fn note(ligne: &str) -> Option<Rating> {\n"
             "    let f: Vec<&str> = ligne.split('\\t').collect();\n"
             "    Some(Rating::new(f.first()?.parse().ok()?, f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?))\n}\n"
             "let entrainement = lues.flat_map(|(l, i)| if i % 5 != 0 { note(&l) } else { None }).cache();\n"
             "let test: Vec<Rating> = lues.flat_map(|(l, i)| if i % 5 == 0 { note(&l) } else { None }).collect()?;\n"
             "let als: AlsModel = Als::new().rank(10).max_iter(10).reg_param(0.1).seed(1).fit_rdd(&entrainement)?;\n"
             "let erreurs: Vec<f64> = test.iter().filter_map(|r| als.predict(r.user, r.product).map(|p| p - r.rating)).collect();\n"
             "let rmse = (erreurs.iter().map(|e| e * e).sum::<f64>() / erreurs.len() as f64).sqrt();\n"
             "als.recommend_products(1, 5)?"),
        md("## Réponse"),
        code("println!(\"RÉPONSE cout={cout:.9} variance={:?} rmse={rmse:.4}\", variance.to_array());"),
    ],
    "jour4-01-flux-iot": [
        md("# Jour 4 — Structured Streaming : les événements d'objets connectés\n" + INTRO + """
Un flux est un DataFrame sans fin : `session.read_stream()` le lit, les mêmes transformations qu'en lot
s'appliquent, et `write_stream().start()` lance une requête qui traite les nouvelles données par micro-lots.
Les 50 fichiers JSON de `iot-events` contiennent 1 000 événements `{"time", "action"}` (`Open` ou `Close`)."""),
        md("## En lot : combien d'ouvertures et de fermetures ?\nLe schéma s'écrit comme dans PySpark, en DDL."),
        code("let evenements = datasets::path(\"iot-events\");\n"
             "let schema = String::from(\"time TIMESTAMP, action STRING\");\n"
             "let statique = session.read().schema(schema.as_str()).json(&evenements)?;\n"
             "let par_action = statique.group_by([\"action\"]).count()?.order_by([\"action\"])?;\n"
             "let en_lot: Vec<(String, i64)> = par_action.collect()?.iter()\n"
             "    .map(|r| Ok((r.get_as(\"action\")?, r.get_as(\"count\")?))).collect::<Result<_>>()?;\n"
             "par_action"),
        md("## Le même calcul en flux\n`maxFilesPerTrigger = 1` : un fichier par micro-lot. Le puits `memory` garde le "
           "résultat dans une table nommée comme la requête, que `session.sql` interroge. Pendant que la requête tourne, "
           "sa progression (lot, lignes, débit) s'affiche et se met à jour."),
        code("let flux = session.read_stream().schema(schema.as_str()).option(\"maxFilesPerTrigger\", 1).json(&evenements)?;\n"
             "println!(\"is_streaming = {}\", flux.is_streaming());\n"
             "let requete = flux.group_by([\"action\"]).count()?\n"
             "    .write_stream().format(\"memory\").query_name(\"compteurs\").output_mode(\"complete\").start()?;\n"
             "requete.process_all_available()?;\n"
             "let lots = requete.recent_progress().len();\n"
             "requete.stop()?;\n"
             "let en_flux: Vec<(String, i64)> = session.sql(\"SELECT action, count FROM compteurs ORDER BY action\")?\n"
             "    .collect()?.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;\n"
             "println!(\"{lots} micro-lots\");\n"
             "session.sql(\"SELECT action, count FROM compteurs ORDER BY action\")?"),
        md("## Fenêtres d'une heure\nLes événements comptés par action et par heure de leur horodatage (temps de "
           "l'événement, pas de l'arrivée)."),
        code("let fenetres = flux.group_by([col(\"action\"), window(col(\"time\"), \"1 hour\", None)?]).count()?\n"
             "    .write_stream().format(\"memory\").query_name(\"par_heure\").output_mode(\"complete\").start()?;\n"
             "fenetres.process_all_available()?;\n"
             "fenetres.stop()?;\n"
             "let nombre_fenetres = session.table(\"par_heure\")?.count()?;\n"
             "session.sql(\"SELECT action, date_format(window.start, 'yyyy-MM-dd HH:mm') AS debut, count \\\n"
             "              FROM par_heure ORDER BY debut, action\")?"),
        md("## Réponse"),
        code("// Entre accolades : la fermeture `texte` ne survit pas à la cellule (le noyau ne garde que des types nommables).\n"
             "{\n"
             "    let texte = |v: &[(String, i64)]| v.iter().map(|(a, n)| format!(\"{a}:{n}\")).collect::<Vec<_>>().join(\",\");\n"
             "    println!(\"RÉPONSE statique={} flux={} fenetres={nombre_fenetres} lots={lots}\", texte(&en_lot), texte(&en_flux));\n"
             "}"),
    ],
    "jour3-02-regressions": [
        md("# Jour 3 — MLlib : régressions linéaire et logistique, évaluation, sauvegarde\n" + INTRO + """
Les estimateurs se règlent comme dans Spark (`reg_param`, `elastic_net_param`, …), les évaluateurs
(`RegressionEvaluator`, `BinaryClassificationEvaluator`, …) mesurent un DataFrame de prédictions, et tout modèle
s'enregistre avec `save` et se relit avec `load`, au format de Spark."""),
        md("## Régression linéaire : le diabète\nDix mesures centrées-réduites et la progression de la maladie un an après."),
        code("let mesures = [\"age\", \"sex\", \"bmi\", \"bp\", \"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\"];\n"
             "let diabete = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"diabetes.csv\"))?\n"
             "    .to_df(mesures.iter().copied().chain([\"label\"]))?;\n"
             "let diabete = VectorAssembler::new(mesures, \"features\").transform(&diabete)?;\n"
             "let lineaire: LinearRegressionModel = LinearRegression::new().fit(&diabete)?;\n"
             "let r2 = lineaire.summary().r2;\n"
             "println!(\"ordonnée à l'origine {:.3}\\ncoefficients {}\", lineaire.intercept(), lineaire.coefficients());\n"
             "RegressionEvaluator::new().metric_name(\"rmse\").evaluate(&lineaire.transform(&diabete)?)?"),
        md("## Régression logistique : tumeurs bénignes ou malignes\nTrente mesures par tumeur ; `label` vaut 1 pour une tumeur bénigne."),
        code("let cancer = session.read().option(\"inferSchema\", \"true\")\n"
             "    .csv(&datasets::path(\"breast_cancer.csv\"))?.with_column_renamed(\"_c30\", \"label\")?;\n"
             "let colonnes: Vec<String> = (0..30).map(|i| format!(\"_c{i}\")).collect();\n"
             "let cancer = VectorAssembler::new(colonnes.iter().map(String::as_str), \"features\").transform(&cancer)?;\n"
             "let logistique: LogisticRegressionModel = LogisticRegression::new().reg_param(0.01).fit(&cancer)?;\n"
             "let exactitude = logistique.summary().accuracy;\n"
             "let scores = logistique.transform(&cancer)?;\n"
             "println!(\"aire sous la courbe ROC {:.4}\", BinaryClassificationEvaluator::new().evaluate(&scores)?);\n"
             "scores.select([\"label\", \"probability\", \"prediction\"])?"),
        md("## Sauvegarder et relire un modèle\nLe répertoire suit la disposition de Spark (`metadata/` en JSON, `data/` en Parquet)."),
        code("let dossier = std::env::temp_dir().join(\"flint-modele-cancer\");\n"
             "logistique.write().overwrite().save(&dossier)?;\n"
             "let relu: LogisticRegressionModel = LogisticRegressionModel::load(&dossier)?;\n"
             "let identiques = relu.coefficient_matrix() == logistique.coefficient_matrix();\n"
             "println!(\"relu depuis {} : mêmes coefficients = {identiques}\", dossier.display());"),
        md("## Réponse"),
        code("println!(\"RÉPONSE r2={r2:.9} exactitude={exactitude:.9} identiques={identiques}\");"),
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
