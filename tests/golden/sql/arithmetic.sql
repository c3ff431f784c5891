-- Arithmetic operators on the course's integer columns and on literals: /, %, DIV, unary minus, greatest,
-- least, and the types of literals.
-- query
-- Friends per year of age.
SELECT id, friends, age, friends / age AS ratio
FROM people
WHERE id < 4
ORDER BY id
-- query
-- The average rating computed by hand, as a lab might.
SELECT movie_id, sum(rating) / count(*) AS avg_rating
FROM ratings
WHERE movie_id <= 5
GROUP BY movie_id
ORDER BY movie_id
-- query
SELECT id, age, age % 7 AS age_mod_7, -age AS neg, greatest(age, 30) AS at_least_30, least(age, 30) AS at_most_30,
       age * friends AS product, friends - age AS diff
FROM people
WHERE id < 4
ORDER BY id
-- query
SELECT id, age, age DIV 7 AS age_div_7
FROM people
WHERE id < 4
ORDER BY id
-- query
-- Decimal literals are exact in Spark; doubles are not.
SELECT 0.1 + 0.2 AS sum_decimal, CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE) AS sum_double, 1.50 AS price
