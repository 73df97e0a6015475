-- Carts live in the database, not in the session cookie, so a long cart never outgrows a
-- cookie and survives a new login.
CREATE TABLE cart_lines (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, product_id)
);

-- One order per lot. `current_supplier_id` is the one supplier holding the order while it
-- waits for an answer; a single column cannot name two.
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    checkout_id TEXT NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    placed_by_user_id BIGINT REFERENCES users (id),
    placed_by_client_id BIGINT REFERENCES api_clients (id),
    delivery_address_id BIGINT NOT NULL REFERENCES delivery_addresses (id),
    buyer_reference TEXT,
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl')),
    status TEXT NOT NULL CHECK (status IN ('placed', 'routed', 'confirmed', 'shipped', 'delivered', 'unfulfilled', 'cancelled', 'cancellation_requested')),
    current_supplier_id BIGINT REFERENCES suppliers (id),
    current_rank INTEGER CHECK (current_rank BETWEEN 1 AND 5),
    response_deadline TIMESTAMP,
    confirmed_supplier_id BIGINT REFERENCES suppliers (id),
    confirmed_rank INTEGER,
    confirmed_at TIMESTAMP,
    expected_delivery DATE,
    delivery_due DATE NOT NULL,
    displayed_net_cents BIGINT NOT NULL,
    placed_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    notified_at TIMESTAMP,
    breach_at TIMESTAMP,
    CHECK ((status = 'routed') = (current_supplier_id IS NOT NULL AND response_deadline IS NOT NULL))
);
CREATE INDEX orders_institution ON orders (institution_id, placed_at);
CREATE INDEX orders_due ON orders (status, response_deadline);
CREATE INDEX orders_supplier ON orders (current_supplier_id);
CREATE INDEX orders_checkout ON orders (checkout_id);

CREATE TABLE order_lines (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    vat_rate_basis_points INTEGER NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    displayed_unit_price_cents BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id);

-- Each offer of an order to a supplier. At most one is open (no outcome yet) per order, and a
-- supplier is never offered the same order twice: the database enforces both.
CREATE TABLE order_assignments (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    rank INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 5),
    offered_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    outcome TEXT CHECK (outcome IN ('accepted', 'declined', 'timed_out', 'withdrawn')),
    answered_at TIMESTAMP,
    reason TEXT,
    UNIQUE (order_id, supplier_id)
);
CREATE UNIQUE INDEX order_assignments_one_open ON order_assignments (order_id) WHERE outcome IS NULL;

-- Append-only history of every order.
CREATE TABLE order_events (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    occurred_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    supplier_id BIGINT REFERENCES suppliers (id),
    rank INTEGER,
    actor_label TEXT NOT NULL,
    reason TEXT,
    details TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- A retried API request with the same key gets the first answer, never a second order.
CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    principal TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (principal, idempotency_key)
);
