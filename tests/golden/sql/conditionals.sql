-- Conditionals: CASE WHEN (searched and simple), coalesce, nullif, nvl, nvl2, if.
CREATE OR REPLACE TEMP VIEW contacts AS
SELECT * FROM (VALUES (1, 'Ann', 'ann@example.com', NULL, 34),
                      (2, 'Ben', NULL, '555-0101', 0),
                      (3, 'Cid', NULL, NULL, 27),
                      (4, 'Dee', 'dee@example.com', '555-0199', 0)) AS t(id, name, email, phone, visits);
-- query
-- Age bands, as a lab would bucket people.
SELECT CASE WHEN age < 30 THEN 'under 30'
            WHEN age < 50 THEN '30 to 49'
            ELSE '50 and over' END AS band,
       count(*) AS people, round(avg(friends), 1) AS friends_avg
FROM people
GROUP BY 1
ORDER BY band
-- query
-- The simple CASE form, and a CASE without ELSE.
SELECT rating, CASE rating WHEN 5 THEN 'loved' WHEN 1 THEN 'hated' ELSE 'so-so' END AS verdict,
       CASE WHEN rating >= 4 THEN 'good' END AS good, count(*) AS n
FROM ratings
GROUP BY rating
ORDER BY rating
-- query
SELECT id, name, coalesce(email, phone, 'no contact') AS reach, nullif(visits, 0) AS visits_or_null,
       coalesce(nullif(visits, 0), -1) AS visits_or_minus_one
FROM contacts
ORDER BY id
-- query
SELECT id, nvl(email, 'none') AS email, nvl2(phone, 'yes', 'no') AS has_phone
FROM contacts
ORDER BY id
-- query
SELECT id, if(visits > 0, 'active', 'idle') AS status
FROM contacts
ORDER BY id
-- query
-- Counting with conditional sums.
SELECT sum(CASE WHEN age < 30 THEN 1 ELSE 0 END) AS under_30,
       sum(CASE WHEN age >= 30 THEN 1 ELSE 0 END) AS from_30,
       count(CASE WHEN friends > 250 THEN 1 END) AS popular
FROM people
