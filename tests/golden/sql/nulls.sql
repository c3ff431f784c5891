-- NULL semantics: aggregates skip NULLs, comparisons with NULL are NULL, NULLs sort first ascending in
-- Spark, NULL keys group together and never join, NOT IN with a NULL matches nothing.
CREATE OR REPLACE TEMP VIEW scores AS
SELECT * FROM (VALUES (1, 'ann', 10), (2, 'bob', NULL), (3, NULL, 7), (4, 'dan', NULL), (5, 'eve', 10),
                      (6, NULL, 3)) AS t(id, name, score);
-- query
SELECT count(*) AS all_rows, count(score) AS scored, count(DISTINCT score) AS distinct_scores,
       sum(score) AS total, avg(score) AS mean, min(score) AS lo, max(score) AS hi,
       count(name) AS named
FROM scores
-- query
SELECT id, score, score = 10 AS eq, score = NULL AS eq_null, score IS NULL AS is_null,
       score <=> 10 AS null_safe_eq, score IS NOT DISTINCT FROM NULL AS not_distinct, NOT (score > 5) AS not_gt,
       score + 1 AS next_score, concat_ws('-', name, score) AS joined, length(name) AS len
FROM scores
ORDER BY id
-- query
SELECT id, name, score FROM scores ORDER BY score, id
-- query
SELECT id, name, score FROM scores ORDER BY score DESC, id
-- query
-- NULL keys form one group.
SELECT name, count(*) AS n, sum(score) AS total FROM scores GROUP BY name ORDER BY name NULLS LAST
-- query
-- NULL join keys match nothing.
SELECT a.id AS a_id, b.id AS b_id
FROM scores a JOIN scores b ON a.score = b.score AND a.id < b.id
ORDER BY a_id, b_id
-- query
-- NOT IN a set containing NULL keeps no row; IN keeps the matches.
SELECT 'not in' AS test, count(*) AS n
FROM scores WHERE score NOT IN (SELECT score FROM scores WHERE name IS NULL OR id = 2)
UNION ALL
SELECT 'in' AS test, count(*) AS n
FROM scores WHERE score IN (SELECT score FROM scores WHERE name IS NULL OR id = 2)
ORDER BY test
-- query
SELECT id, concat(name, '!') AS shout
FROM scores
ORDER BY id
