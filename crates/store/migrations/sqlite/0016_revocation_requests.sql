-- Self-service of the holder of an issued certificate (issue 11, items 5 and 6).
--
-- «Αίτημα ανάκλησης»: the holder's request that the ΔΨΠ revoke the certificate, kept with the
-- application (one per application: only an issued certificate is asked for, once; after the
-- revocation the application is terminal). Recorded by the transition that writes the history
-- entry. Open while the application is issued; the ΔΨΠ's search filters on it, hence the partial
-- index (few applications ever have a request).
ALTER TABLE applications ADD COLUMN revocation_requested_at TEXT;
ALTER TABLE applications ADD COLUMN revocation_request_reason TEXT;
CREATE INDEX applications_revocation_requested ON applications (organisation_id, status)
    WHERE revocation_requested_at IS NOT NULL;

-- «Συγχρονισμός OTP»: how many 30-second steps the holder's authenticator app runs ahead of the
-- server (behind, when negative), found from two consecutive codes; later codes are checked
-- around the app's own step.
ALTER TABLE signing_credentials ADD COLUMN totp_drift INTEGER NOT NULL DEFAULT 0;
