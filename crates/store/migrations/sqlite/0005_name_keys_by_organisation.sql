-- Name search within the caller's organisations: the keys carry the organisation, so that a
-- prefix such as «παπα» reads only the caller's rows, not those of the whole installation.
ALTER TABLE employee_name_keys ADD COLUMN organisation_id INTEGER NOT NULL DEFAULT 0;
UPDATE employee_name_keys
   SET organisation_id = (SELECT e.organisation_id FROM employees e WHERE e.id = employee_name_keys.employee_id);
CREATE INDEX employee_name_keys_by_organisation ON employee_name_keys (organisation_id, key, employee_id);
