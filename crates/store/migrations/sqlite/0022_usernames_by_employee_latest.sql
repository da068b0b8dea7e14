-- An employee's username is the one of their latest application (`ORDER BY application_id DESC
-- LIMIT 1` per employee, in every read of an employee). With the employee's index alone,
-- PostgreSQL walked the index by application instead, filtering on the employee, and so read
-- every username for each employee: 60–200 ms for an issuance batch of 64 once there were 5,000
-- (issue 12's bench-http). This index answers it by one step down the employee's entries.
CREATE INDEX usernames_by_employee_latest ON usernames (employee_id, application_id);
DROP INDEX usernames_by_employee;
