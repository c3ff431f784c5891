-- Set operations: UNION ALL, UNION, INTERSECT, EXCEPT, and the ALL forms that keep duplicates.
CREATE OR REPLACE TEMP VIEW morning AS
SELECT * FROM (VALUES ('tea'), ('coffee'), ('coffee'), ('juice'), ('water')) AS t(drink);
CREATE OR REPLACE TEMP VIEW evening AS
SELECT * FROM (VALUES ('wine'), ('tea'), ('water'), ('water'), ('coffee')) AS t(drink);
-- query
-- Users who rated both of the two most rated films, and users who rated the first but not the second.
SELECT 'both' AS which, count(*) AS users
FROM (SELECT user_id FROM ratings WHERE movie_id = 617
      INTERSECT
      SELECT user_id FROM ratings WHERE movie_id = 1626)
UNION ALL
SELECT 'only 617' AS which, count(*) AS users
FROM (SELECT user_id FROM ratings WHERE movie_id = 617
      EXCEPT
      SELECT user_id FROM ratings WHERE movie_id = 1626)
ORDER BY which
-- query
-- The youngest and the oldest, in one list.
SELECT name, age, 'young' AS grp FROM people WHERE age <= 18
UNION ALL
SELECT name, age, 'old' AS grp FROM people WHERE age >= 69
ORDER BY age, name
-- query
SELECT drink FROM morning UNION SELECT drink FROM evening ORDER BY drink
-- query
SELECT drink FROM morning INTERSECT SELECT drink FROM evening ORDER BY drink
-- query
SELECT drink FROM morning EXCEPT SELECT drink FROM evening ORDER BY drink
-- query
-- water is twice in the evening, once in the morning: kept once.
SELECT drink FROM evening INTERSECT ALL SELECT drink FROM morning ORDER BY drink
-- query
-- water is twice in the evening, once in the morning: kept once.
SELECT drink FROM evening EXCEPT ALL SELECT drink FROM morning ORDER BY drink
