-- Math functions: abs, round, sqrt, ln/log, exp, pow, ceil/floor.
CREATE OR REPLACE TEMP VIEW measures AS
SELECT CAST(x AS DOUBLE) AS x
FROM (VALUES (2.5), (-2.5), (0.125), (2.675), (1234.5678), (4.2), (-4.8), (-0.4)) AS t(x);
-- query
SELECT id, age, friends, abs(age - friends) AS gap, round(sqrt(friends), 3) AS root,
       round(ln(friends), 4) AS natural_log, round(log10(friends), 4) AS log10,
       round(log(2, friends), 4) AS log2
FROM people
WHERE id < 5
ORDER BY id
-- query
-- sqrt, ln and exp at full double precision.
SELECT id, sqrt(friends) AS root, ln(friends) AS natural_log, exp(age / 10.0) AS e
FROM people
WHERE id < 4
ORDER BY id
-- query
SELECT id, age, pow(age, 2) AS age_squared, power(2, 10) AS kilo, pow(friends, 0.5) AS root
FROM people
WHERE id < 3
ORDER BY id
-- query
-- Spark's round is HALF_UP, also for ties at the second decimal and below zero.
SELECT x, round(x) AS r0, round(x, 2) AS r2, round(x, -2) AS r_hundreds
FROM measures
ORDER BY x
-- query
SELECT x, ceil(x) AS up, floor(x) AS down
FROM measures
ORDER BY x
