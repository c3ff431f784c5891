-- Event-time windows: window() in GROUP BY, tumbling and sliding (with slides that divide the duration and
-- slides that do not), a start time, window fields in the select list, and rows without a time (dropped).
CREATE OR REPLACE TEMP VIEW events AS
SELECT CAST(t AS TIMESTAMP) AS ts, word FROM (VALUES
  ('2024-01-01 10:02:00', 'cat'), ('2024-01-01 10:07:00', 'dog'), ('2024-01-01 10:12:00', 'cat'),
  ('2024-01-01 10:14:59', 'cat'), ('2024-01-01 10:21:30', 'dog'), ('2024-01-01 10:30:00', 'owl'),
  (NULL, 'cat')) AS v(t, word);
-- query
-- Tumbling ten-minute windows: the window column and a count per window and word.
SELECT window, word, count(*) AS n
FROM events
GROUP BY window(ts, '10 minutes'), word
ORDER BY window.start, word
-- query
-- Sliding windows of ten minutes every five minutes, as in the Structured Streaming guide.
SELECT window.start, window.end, word, count(*) AS n
FROM events
GROUP BY window(ts, '10 minutes', '5 minutes'), word
ORDER BY start, word
-- query
-- A slide that does not divide the duration: each row is only in the windows that hold its time.
SELECT window.start AS start, window.end AS end, count(*) AS n
FROM events
GROUP BY window(ts, '10 minutes', '3 minutes')
ORDER BY start
-- query
-- Hourly windows starting at a quarter past.
SELECT window.start AS start, count(*) AS n, array_sort(collect_list(word)) AS words
FROM events
GROUP BY window(ts, '1 hour', '1 hour', '15 minutes')
ORDER BY start
-- query
-- The example of Spark's documentation for window().
SELECT a, window.start, window.end, count(*) AS cnt
FROM VALUES ('A1', '2021-01-01 00:00:00'), ('A1', '2021-01-01 00:04:30'), ('A1', '2021-01-01 00:06:00'),
  ('A2', '2021-01-01 00:01:00') AS tab(a, b)
GROUP BY a, window(b, '5 minutes')
ORDER BY a, start
-- query
-- window() in the select list without a GROUP BY: one row per window holding each time.
SELECT word, window(ts, '10 minutes', '5 minutes') AS w
FROM events
WHERE word = 'dog'
ORDER BY w.start
-- query
-- Counts per window over the ratings' timestamps (seconds since the epoch): the busiest days of 1998.
SELECT window.start AS day, count(*) AS n
FROM ratings
WHERE ts >= 883612800
GROUP BY window(timestamp_seconds(ts), '1 day')
ORDER BY n DESC, day
LIMIT 5
