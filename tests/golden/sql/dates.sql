-- Dates and times: to_date, year, month, dayofmonth, date_format, from_unixtime, date_add, datediff.
-- The session time zone is UTC.
CREATE OR REPLACE TEMP VIEW events AS
SELECT * FROM (VALUES (1, '2024-01-15'), (2, '2024-02-29'), (3, '2023-12-31'), (4, '1999-07-04'))
  AS t(id, day);
-- query
SELECT id, to_date(day) AS d, to_date(day) < to_date('2024-01-01') AS before_2024
FROM events
ORDER BY d
-- query
-- The first and last rating, as readable times.
SELECT from_unixtime(min(ts)) AS first_rating, from_unixtime(max(ts)) AS last_rating
FROM ratings
-- query
SELECT id, year(to_date(day)) AS y, month(to_date(day)) AS m, dayofmonth(to_date(day)) AS dom
FROM events
ORDER BY id
-- query
-- Ratings per month.
SELECT date_format(from_unixtime(ts), 'yyyy-MM') AS month, count(*) AS n
FROM ratings
GROUP BY date_format(from_unixtime(ts), 'yyyy-MM')
ORDER BY month
-- query
-- A film's release date, parsed with a pattern.
SELECT movie_id, release_date, to_date(release_date, 'dd-MMM-yyyy') AS released
FROM movies
WHERE movie_id <= 4
ORDER BY movie_id
-- query
SELECT id, date_add(to_date(day), 30) AS plus_30, datediff(to_date('2024-12-31'), to_date(day)) AS days_to_end
FROM events
ORDER BY id
