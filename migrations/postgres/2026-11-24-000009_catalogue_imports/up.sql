-- Catalogue imports waiting for an admin to apply them: the plan computed from the uploaded
-- file, and a fingerprint of the catalogue rows it was computed against, so an apply after
-- someone else changed those rows is refused instead of overwriting their change.
CREATE TABLE catalogue_imports (
    id BIGSERIAL PRIMARY KEY,
    created_by_user_id BIGINT REFERENCES users (id),
    created_by_client_id BIGINT REFERENCES api_clients (id),
    created_by_label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    filename TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    plan TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'discarded')),
    applied_at TIMESTAMP
);
CREATE INDEX catalogue_imports_status ON catalogue_imports (status, created_at);
