-- An employee's search keys by the employee: the import's update mode and the start-up fill of
-- search columns delete them by employee, and a deleted employee's keys go with it (the keys'
-- primary key begins with the key, so without this each of those scans every key).
CREATE INDEX employee_name_keys_by_employee ON employee_name_keys (employee_id);
