-- A supplier's webhook: where order events are POSTed, signed with a secret it was shown once.
ALTER TABLE suppliers ADD COLUMN webhook_url TEXT;
ALTER TABLE suppliers ADD COLUMN webhook_secret TEXT;

-- Durable deliveries: written with the change that causes them, retried with backoff for
-- 24 hours, visible to the supplier and the authority.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    event_type TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, failed_at, next_attempt_at);
CREATE INDEX webhook_deliveries_supplier ON webhook_deliveries (supplier_id, id);
