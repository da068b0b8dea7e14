-- The names a certificate carries: the tax registry's, kept when the data check found the HR
-- record in agreement with them (issue 10). NULL before the data check.
ALTER TABLE applications ADD COLUMN subject_surname TEXT;
ALTER TABLE applications ADD COLUMN subject_given_name TEXT;
ALTER TABLE applications ADD COLUMN subject_father_name TEXT;
-- The names in which the HR record disagreed with the tax registry at the last data check
-- (comma-separated codes), shown on the ΔΨΠ's card; NULL when it agreed.
ALTER TABLE applications ADD COLUMN data_disagreement TEXT;
