-- Reports read figures kept per month and competent authority (authority 0 holds the total
-- of all), never the orders themselves: a report over years of history reads a few thousand
-- rows. Every change to an order or to its offers is logged by trigger in the same
-- transaction; a refresh folds the logged orders into the figures, exactly, by subtracting
-- what each order's snapshot had contributed and adding what it contributes now.

-- No unique key: order transactions only ever append here, so they never wait on each other.
CREATE TABLE report_changes (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL
);

-- The one row a refresh locks, so two refreshes never fold the same change twice.
CREATE TABLE report_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    orders_refreshed BIGINT NOT NULL DEFAULT 0
);
INSERT INTO report_state (id, orders_refreshed) VALUES (1, 0);

-- Each order as the figures last counted it. `offers` lists supplier:rank:outcome.
CREATE TABLE report_order_facts (
    order_id BIGINT PRIMARY KEY,
    month INTEGER NOT NULL,
    authority_id BIGINT NOT NULL,
    placed_at TIMESTAMP NOT NULL,
    lot_id BIGINT NOT NULL,
    supplier_id BIGINT,
    in_sales BOOLEAN NOT NULL,
    counted BOOLEAN NOT NULL,
    confirm_minutes BIGINT,
    confirm_whole BOOLEAN NOT NULL,
    flagged BOOLEAN NOT NULL,
    delivered BOOLEAN NOT NULL,
    on_time BOOLEAN NOT NULL,
    open_due DATE,
    watch BOOLEAN NOT NULL,
    offers TEXT NOT NULL
);
-- The list of breaches: flagged, delivered late or not delivered yet, newest first ...
CREATE INDEX report_order_facts_watch ON report_order_facts
    (placed_at, order_id, authority_id, flagged, confirm_minutes, confirm_whole, delivered, on_time, open_due)
    WHERE watch;
-- ... and confirmations later than the limit that the sweep did not flag.
CREATE INDEX report_order_facts_slow ON report_order_facts (confirm_minutes) WHERE NOT watch;
-- Counting the breaches: flagged orders and orders not delivered yet (late deliveries and
-- late confirmations are counted in the monthly figures).
CREATE INDEX report_order_facts_alert ON report_order_facts
    (placed_at, authority_id, flagged, confirm_minutes, confirm_whole, open_due)
    WHERE flagged OR open_due IS NOT NULL;

-- Orders (each once, on its lowest VAT rate), quantities and amounts, VAT rounded per order
-- and rate as on the order documents.
CREATE TABLE report_sales (
    authority_id BIGINT NOT NULL,
    month INTEGER NOT NULL,
    lot_id BIGINT NOT NULL,
    supplier_id BIGINT NOT NULL,
    vat_rate_bp INTEGER NOT NULL,
    orders BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    net_cents BIGINT NOT NULL,
    vat_cents BIGINT NOT NULL,
    PRIMARY KEY (authority_id, month, lot_id, supplier_id, vat_rate_bp)
);

CREATE TABLE report_product_sales (
    authority_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    vat_rate_bp INTEGER NOT NULL,
    month INTEGER NOT NULL,
    quantity BIGINT NOT NULL,
    net_cents BIGINT NOT NULL,
    PRIMARY KEY (authority_id, product_id, vat_rate_bp, month)
);

CREATE TABLE report_offers (
    authority_id BIGINT NOT NULL,
    month INTEGER NOT NULL,
    supplier_id BIGINT NOT NULL,
    rank INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    offers BIGINT NOT NULL,
    PRIMARY KEY (authority_id, month, supplier_id, rank, outcome)
);

CREATE TABLE report_service (
    authority_id BIGINT NOT NULL,
    month INTEGER NOT NULL,
    counted BIGINT NOT NULL,
    confirmed BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    PRIMARY KEY (authority_id, month)
);

-- How many orders were confirmed after how many whole minutes: the median to the minute,
-- and the share within any limit.
CREATE TABLE report_confirmation_minutes (
    authority_id BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    month INTEGER NOT NULL,
    orders BIGINT NOT NULL,
    whole_minutes BIGINT NOT NULL,
    PRIMARY KEY (authority_id, minutes, month)
);

CREATE FUNCTION report_log_order_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION report_log_assignment_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id) VALUES (NEW.order_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER report_orders_changed
AFTER INSERT OR UPDATE OF status, institution_id, lot_id, placed_at, confirmed_supplier_id,
    confirmed_at, breach_at, delivered_at, delivery_due ON orders
FOR EACH ROW EXECUTE FUNCTION report_log_order_change();

CREATE TRIGGER report_assignments_changed
AFTER INSERT OR UPDATE OF order_id, supplier_id, rank, outcome ON order_assignments
FOR EACH ROW EXECUTE FUNCTION report_log_assignment_change();

-- Existing orders: the first refresh counts them all.
INSERT INTO report_changes (order_id) SELECT id FROM orders ORDER BY id;
