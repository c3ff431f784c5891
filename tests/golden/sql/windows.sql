-- Window functions: row_number, rank, dense_rank, lag, lead, first_value/last_value, sum over a partition.
-- query
-- Each of three users' top three ratings (ties broken by movie id).
SELECT user_id, movie_id, rating, rn
FROM (SELECT user_id, movie_id, rating,
             row_number() OVER (PARTITION BY user_id ORDER BY rating DESC, movie_id) AS rn
      FROM ratings
      WHERE user_id IN (1, 2, 3))
WHERE rn <= 3
ORDER BY user_id, rn
-- query
-- The oldest people, ranked by age: rank leaves gaps after ties, dense_rank does not.
SELECT name, age, rank() OVER (ORDER BY age DESC) AS rnk, dense_rank() OVER (ORDER BY age DESC) AS dense,
       row_number() OVER (ORDER BY age DESC, id) AS rn
FROM people
WHERE age >= 67
ORDER BY rn
-- query
-- One customer's orders in item order, with the previous and next amounts.
SELECT item_id, amount, lag(amount) OVER (ORDER BY item_id) AS prev_amount,
       lead(amount, 1) OVER (ORDER BY item_id) AS next_amount,
       lag(item_id, 2, -1) OVER (ORDER BY item_id) AS item_two_back
FROM orders
WHERE customer_id = 0 AND item_id < 2000
ORDER BY item_id
-- query
-- Running total and share of the customer's spend (rounded to cents).
SELECT customer_id, item_id, amount,
       round(sum(amount) OVER (PARTITION BY customer_id ORDER BY item_id), 2) AS running_total,
       round(100 * amount / sum(amount) OVER (PARTITION BY customer_id), 2) AS pct_of_customer
FROM orders
WHERE customer_id IN (0, 1) AND item_id < 1500
ORDER BY customer_id, item_id
-- query
-- Per customer: orders counted over the partition, the first and last order by item.
SELECT DISTINCT customer_id,
       count(*) OVER (PARTITION BY customer_id) AS orders,
       first_value(item_id) OVER (PARTITION BY customer_id ORDER BY item_id
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_item,
       last_value(item_id) OVER (PARTITION BY customer_id ORDER BY item_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_item
FROM orders
WHERE customer_id < 5
ORDER BY customer_id
-- query
-- Movies ranked by number of ratings within each rating value, top 2 per value.
SELECT rating, movie_id, n, pos
FROM (SELECT rating, movie_id, count(*) AS n,
             dense_rank() OVER (PARTITION BY rating ORDER BY count(*) DESC) AS pos
      FROM ratings
      GROUP BY rating, movie_id)
WHERE pos <= 2
ORDER BY rating, pos, movie_id
