-- String functions: lower, upper, length, concat, concat_ws, substring, trim, lpad/rpad, LIKE.
-- query
SELECT movie_id, title, lower(title) AS lower_title, upper(title) AS upper_title, length(title) AS len
FROM movies
WHERE movie_id <= 5
ORDER BY movie_id
-- query
-- Building labels from columns of different types.
SELECT id, concat(name, ' (', age, ')') AS label, concat_ws('|', name, age, friends) AS record
FROM people
WHERE id < 5
ORDER BY id
-- query
SELECT movie_id, substring(title, 1, 10) AS head, substr(title, 3, 4) AS middle
FROM movies
WHERE movie_id BETWEEN 10 AND 14
ORDER BY movie_id
-- query
-- The last six characters: the release year in parentheses.
SELECT movie_id, substring(title, -6) AS tail, substring(title, -5, 4) AS year
FROM movies
WHERE movie_id BETWEEN 10 AND 14
ORDER BY movie_id
-- query
SELECT trim('  padded  ') AS t, ltrim('  padded  ') AS l, rtrim('  padded  ') AS r,
       length(trim('  padded  ')) AS tlen, lpad('7', 3, '0') AS lp, rpad('ab', 4, '.') AS rp
-- query
-- Names containing "an" in any case, most frequent first.
SELECT name, count(*) AS n
FROM people
WHERE upper(name) LIKE '%AN%'
GROUP BY name
ORDER BY n DESC, name
