-- The supplier feed is read in update order. Every change a supplier should see takes the
-- next number from this one-row counter inside its transaction; the row lock makes commits
-- take numbers in commit order, so a poller that remembers the last number it saw never
-- misses or repeats a change.
CREATE TABLE feed_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO feed_sequence (id, value) VALUES (1, 0);

ALTER TABLE order_assignments ADD COLUMN feed_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_assignments ADD COLUMN supplier_reference TEXT;
-- Offers made before the feed existed get numbers too, in the order they were made.
UPDATE order_assignments SET feed_seq = id;
UPDATE feed_sequence SET value = (SELECT COALESCE(MAX(id), 0) FROM order_assignments) WHERE id = 1;
CREATE INDEX order_assignments_feed ON order_assignments (supplier_id, feed_seq);

ALTER TABLE orders ADD COLUMN shipped_at TIMESTAMP;
ALTER TABLE orders ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking TEXT;
