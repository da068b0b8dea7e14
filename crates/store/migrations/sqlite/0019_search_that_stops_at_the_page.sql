-- Search that reads no more than the page it shows (issue 12; certdesk_domain::name_index).
-- The Latin sort order's columns and the words for checking a row in passing; the store fills
-- them (and marks the leading keys) for the rows that existing installations already hold, at
-- start-up, because folding is Rust code.
ALTER TABLE employees ADD COLUMN surname_latin TEXT NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN given_latin TEXT NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN search_words TEXT;
ALTER TABLE employee_name_keys ADD COLUMN is_leading INTEGER NOT NULL DEFAULT 0;

-- The order shown, walked and stopped at the page: per organisation and installation-wide, in
-- Greek and in Latin, within a unit, and among those without an application.
CREATE INDEX employees_by_name_all ON employees (surname_fold, given_fold, id);
CREATE INDEX employees_by_latin ON employees (organisation_id, surname_latin, given_latin, id);
CREATE INDEX employees_by_latin_all ON employees (surname_latin, given_latin, id);
DROP INDEX employees_by_unit;
CREATE INDEX employees_by_unit ON employees (organisation_id, unit, surname_fold, given_fold, id);
CREATE INDEX employees_without_application
    ON employees (organisation_id, surname_fold, given_fold, id) WHERE current_application_id IS NULL;
CREATE INDEX employees_without_application_all
    ON employees (surname_fold, given_fold, id) WHERE current_application_id IS NULL;
DROP INDEX employees_by_email;
CREATE INDEX employees_by_email ON employees (lower(email));

-- Only the keys that do not lead are searched through the keys; the leading ones are a range of
-- the order above.
DROP INDEX employee_name_keys_by_organisation;
CREATE INDEX employee_name_keys_other ON employee_name_keys (organisation_id, key, employee_id)
    WHERE is_leading = 0;
CREATE INDEX employee_name_keys_other_all ON employee_name_keys (key, employee_id) WHERE is_leading = 0;

-- A status filter with few matches starts from the applications.
CREATE INDEX applications_by_organisation_status ON applications (organisation_id, status);
