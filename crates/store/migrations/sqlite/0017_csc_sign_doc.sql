-- CSC v2's signatures/signDoc (issue 11, item 2). A SAD that credentials/authorize gave without
-- hashes is bound to a number of documents instead (`documents`, its numSignatures; NULL for a
-- SAD of hashes, whose rows in csc_sad_hashes are its numSignatures): one signDoc spends it
-- whole (`used_at`), signing at most that many documents.
ALTER TABLE csc_sads ADD COLUMN documents INTEGER;
ALTER TABLE csc_sads ADD COLUMN used_at TEXT;
