-- Aggregate functions over the course datasets: count, count(DISTINCT), sum, avg, min, max, stddev,
-- variance, collect_list/collect_set (sorted with array_sort so that the order is defined), first/last.
-- query
-- The size of the ratings file.
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT movie_id) AS movies,
       sum(rating) AS rating_sum, min(ts) AS first_ts, max(ts) AS last_ts
FROM ratings
-- query
-- People and their friends: rounded as a lab prints them, and stddev at full precision.
SELECT count(*) AS people, min(age) AS youngest, max(age) AS oldest, avg(age) AS age_avg,
       stddev(age) AS age_sd, round(avg(friends), 2) AS friends_avg, round(stddev(friends), 2) AS friends_sd
FROM people
-- query
-- Sample variance and the population statistics at full precision.
SELECT var_samp(age) AS age_var, stddev_pop(age) AS age_sd_pop, var_pop(age) AS age_var_pop
FROM people
-- query
SELECT round(variance(friends), 2) AS friends_var
FROM people
-- query
-- Names of the teenagers, per age.
SELECT age, count(*) AS n, array_sort(collect_list(name)) AS names,
       array_sort(collect_set(name)) AS distinct_names
FROM people
WHERE age < 20
GROUP BY age
ORDER BY age
-- query
-- first/last over input ordered in a subquery (a few rows in one partition).
SELECT customer, first(amount) AS first_amount, last(amount) AS last_amount
FROM (SELECT * FROM (VALUES (1, 1, 105), (1, 2, 200), (1, 3, 52), (2, 1, 70), (2, 2, 80))
        AS t(customer, seq, amount)
      ORDER BY customer, seq)
GROUP BY customer
ORDER BY customer
