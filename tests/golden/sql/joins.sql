-- Joins: inner and left on the course data; full outer, left semi, left anti and USING on small views.
CREATE OR REPLACE TEMP VIEW depts AS
SELECT * FROM (VALUES (10, 'Sales'), (20, 'Support'), (30, 'Research')) AS t(dept_id, dept);
CREATE OR REPLACE TEMP VIEW staff AS
SELECT * FROM (VALUES (1, 'Ann', 10), (2, 'Ben', 20), (3, 'Cid', 10), (4, 'Dee', 40), (5, 'Eve', NULL))
  AS t(emp_id, emp, dept_id);
-- query
-- The ten most rated movies with their titles.
SELECT r.movie_id, m.title, count(*) AS n
FROM ratings r JOIN movies m ON r.movie_id = m.movie_id
GROUP BY r.movie_id, m.title
ORDER BY n DESC, r.movie_id
LIMIT 10
-- query
-- Movies nobody rated.
SELECT m.movie_id, m.title
FROM movies m LEFT JOIN (SELECT DISTINCT movie_id FROM ratings) r ON m.movie_id = r.movie_id
WHERE r.movie_id IS NULL
ORDER BY m.movie_id
-- query
-- Everyone with their department, and every department with its staff (NULL ordering made explicit).
SELECT s.emp_id, s.emp, d.dept_id, d.dept
FROM staff s FULL OUTER JOIN depts d ON s.dept_id = d.dept_id
ORDER BY s.emp_id NULLS FIRST, d.dept_id NULLS FIRST
-- query
-- Films user 1 rated 5, without duplicating films.
SELECT m.movie_id, m.title
FROM movies m LEFT SEMI JOIN ratings r ON m.movie_id = r.movie_id AND r.user_id = 1 AND r.rating = 5
ORDER BY m.movie_id
LIMIT 10
-- query
-- Staff whose department does not exist (a NULL key never matches).
SELECT * FROM staff s LEFT ANTI JOIN depts d ON s.dept_id = d.dept_id ORDER BY emp_id
-- query
SELECT * FROM staff JOIN depts USING (dept_id) ORDER BY emp_id
