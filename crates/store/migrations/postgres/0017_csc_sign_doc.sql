-- CSC v2's signatures/signDoc (see migrations/sqlite/0017_csc_sign_doc.sql).
ALTER TABLE csc_sads ADD COLUMN documents INTEGER;
ALTER TABLE csc_sads ADD COLUMN used_at TIMESTAMPTZ;
