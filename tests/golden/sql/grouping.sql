-- GROUP BY, HAVING and ORDER BY: grouping on expressions, filtering groups, sorting on aggregates,
-- ROLLUP, and the names Spark gives columns.
-- query
-- Ages with at least 13 people, most friends on average first.
SELECT age, count(*) AS people, round(avg(friends), 2) AS friends_avg
FROM people
GROUP BY age
HAVING count(*) >= 13
ORDER BY friends_avg DESC, age
-- query
-- HAVING on an aggregate's alias.
SELECT customer_id, round(sum(amount), 2) AS total
FROM orders
GROUP BY customer_id
HAVING total > 5800
ORDER BY total DESC
-- query
-- Decades of age: grouping on an expression; ordering by position.
SELECT CAST(age / 10 AS INT) * 10 AS decade, count(*) AS people, max(friends) AS most_friends
FROM people
GROUP BY CAST(age / 10 AS INT) * 10
ORDER BY 1
-- query
-- Subtotals with ROLLUP.
SELECT rating, CASE WHEN rating >= 4 THEN 'high' ELSE 'low' END AS level, count(*) AS n
FROM ratings
GROUP BY ROLLUP (CASE WHEN rating >= 4 THEN 'high' ELSE 'low' END, rating)
ORDER BY level NULLS LAST, rating NULLS LAST
-- query
-- Column names Spark gives unaliased aggregates.
SELECT age, count(*), avg(friends), max(name)
FROM people
WHERE age < 20
GROUP BY age
ORDER BY age
-- query
-- A camelCase alias keeps its case in Spark.
SELECT rating, count(*) AS numRatings
FROM ratings
GROUP BY rating
ORDER BY rating
