-- Name search within the caller's organisations (see migrations/sqlite/0005_…).
ALTER TABLE employee_name_keys ADD COLUMN organisation_id BIGINT NOT NULL DEFAULT 0;
UPDATE employee_name_keys k SET organisation_id = e.organisation_id FROM employees e WHERE e.id = k.employee_id;
CREATE INDEX employee_name_keys_by_organisation ON employee_name_keys (organisation_id, key, employee_id);
