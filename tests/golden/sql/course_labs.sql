-- The course's labs in SQL: friends by age, customer spend, popular movies, ratings histogram.
-- query
-- Friends by age (the first 10 ages).
SELECT age, round(avg(friends), 2) AS friends_avg
FROM people
GROUP BY age
ORDER BY age
LIMIT 10
-- query
-- Total spend per customer, the ten biggest spenders.
SELECT customer_id, round(sum(amount), 2) AS total_spent
FROM orders
GROUP BY customer_id
ORDER BY total_spent DESC
LIMIT 10
-- query
-- The five lowest spenders, sums of doubles unrounded.
SELECT customer_id, sum(amount) AS total_spent, count(*) AS orders
FROM orders
GROUP BY customer_id
ORDER BY total_spent
LIMIT 5
-- query
-- Ratings histogram.
SELECT rating, count(*) AS n FROM ratings GROUP BY rating ORDER BY rating
-- query
-- Most popular movies with titles and average rating.
SELECT m.title, count(*) AS ratings, round(avg(r.rating), 2) AS avg_rating
FROM ratings r JOIN movies m ON r.movie_id = m.movie_id
GROUP BY m.title
ORDER BY ratings DESC, m.title
LIMIT 10
-- query
-- People with at least 200 more friends than the average for their age.
SELECT p.name, p.age, p.friends, round(a.friends_avg, 1) AS age_avg
FROM people p JOIN (SELECT age, avg(friends) AS friends_avg FROM people GROUP BY age) a ON p.age = a.age
WHERE p.friends - a.friends_avg >= 200
ORDER BY p.friends - a.friends_avg DESC, p.id
-- query
-- Registering a view in SQL instead of with createOrReplaceTempView (Spark prints an empty table).
CREATE OR REPLACE TEMP VIEW teenagers AS SELECT * FROM people WHERE age BETWEEN 13 AND 19
