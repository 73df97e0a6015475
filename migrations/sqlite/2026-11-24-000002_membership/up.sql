-- Membership: who applied, and who decided when.
ALTER TABLE institutions ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN decided_at TIMESTAMP;
ALTER TABLE institutions ADD COLUMN decided_by BIGINT REFERENCES users (id);
ALTER TABLE institutions ADD COLUMN decision_reason TEXT;
CREATE INDEX institutions_status ON institutions (status);

-- Single-use links (activation, password reset). Only a hash of the token is stored, so a
-- copy of the database opens no account.
CREATE TABLE account_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_user ON account_tokens (user_id);

-- Every email is written here in the same transaction as the change that causes it, and
-- sent by the worker; a message is marked sent only once the server has accepted it.
CREATE TABLE outbox_emails (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl')),
    to_address TEXT NOT NULL,
    to_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_emails_due ON outbox_emails (sent_at, next_attempt_at);

-- Machine clients of the API (OAuth 2.0 client credentials). The secret is shown once and
-- stored hashed; revocation takes effect on the next request.
CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'institution', 'supplier')),
    institution_id BIGINT REFERENCES institutions (id),
    supplier_id BIGINT REFERENCES suppliers (id),
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users (id),
    revoked_at TIMESTAMP,
    CHECK (
        (role = 'admin' AND institution_id IS NULL AND supplier_id IS NULL)
        OR (role = 'institution' AND institution_id IS NOT NULL AND supplier_id IS NULL)
        OR (role = 'supplier' AND supplier_id IS NOT NULL AND institution_id IS NULL)
    )
);

-- Who changed what, when: admins in the back office and API clients alike.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor_client_id BIGINT REFERENCES api_clients (id),
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id);
