-- A name search of three letters or more walks one stem's keys in the order shown and stops at
-- the page (issue 12; certdesk_domain::name_index::stem). Each key carries its stem and the sort
-- columns of its stem's order; the key itself ends the index, so that a longer token is checked
-- there, without reading the row.
ALTER TABLE employee_name_keys ADD COLUMN stem TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employee_name_keys ADD COLUMN sort_surname TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE employee_name_keys ADD COLUMN sort_given TEXT COLLATE "C" NOT NULL DEFAULT '';

-- The keys stored before, filed as the store files new ones (employee_import::NameKeyRow::of):
-- the stem is the first three characters; its order is Latin when it has a Latin letter and no
-- Greek one, the letters `to_latin` changes (SortOrder::for_token), and Greek otherwise.
UPDATE employee_name_keys AS k
   SET stem = substr(k.key, 1, 3),
       sort_surname = CASE
           WHEN substr(k.key, 1, 3) ~ '[a-z]'
            AND substr(k.key, 1, 3) !~ '[αβγδεζηθικλμνξοπρςστυφχψωϐϑϒϕϖϰϱϲϵ]' THEN e.surname_latin
           ELSE e.surname_fold END,
       sort_given = CASE
           WHEN substr(k.key, 1, 3) ~ '[a-z]'
            AND substr(k.key, 1, 3) !~ '[αβγδεζηθικλμνξοπρςστυφχψωϐϑϒϕϖϰϱϲϵ]' THEN e.given_latin
           ELSE e.given_fold END
  FROM employees e
 WHERE e.id = k.employee_id;

CREATE INDEX employee_name_keys_by_stem
    ON employee_name_keys (organisation_id, stem, sort_surname, sort_given, employee_id, key);
CREATE INDEX employee_name_keys_by_stem_all
    ON employee_name_keys (stem, sort_surname, sort_given, employee_id, key);
-- The planner counts the stems filled above only once analysed.
ANALYZE employee_name_keys;
