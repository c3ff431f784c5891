-- Regular expressions: regexp_replace, regexp_extract, split, RLIKE. Patterns use character classes
-- ([(] rather than \() except in the query about backslash escapes.
-- query
-- Titles without their "(year)" suffix: one match per title.
SELECT movie_id, regexp_replace(title, ' [(][0-9]{4}[)]$', '') AS bare_title
FROM movies
WHERE movie_id <= 5
ORDER BY movie_id
-- query
-- Every match is replaced.
SELECT movie_id, regexp_replace(title, '[^A-Za-z ]', '') AS letters_only,
       regexp_replace(title, ' +', '_') AS snake
FROM movies
WHERE movie_id <= 3
ORDER BY movie_id
-- query
-- A backslash escape in a Spark string literal: '\\W' is the regex \W.
SELECT DISTINCT name, regexp_replace(name, '\\W', '') AS cleaned
FROM people
WHERE name LIKE 'J%'
ORDER BY name
-- query
-- The release year of a film from its title.
SELECT movie_id, title, regexp_extract(title, '[(]([0-9]{4})[)]', 1) AS year
FROM movies
WHERE movie_id <= 5
ORDER BY movie_id
-- query
SELECT movie_id, split(title, ' ') AS words
FROM movies
WHERE movie_id <= 3
ORDER BY movie_id
-- query
-- Films of the 1990s.
SELECT count(*) AS films_1990s
FROM movies
WHERE title RLIKE '[(]199[0-9][)]$'
