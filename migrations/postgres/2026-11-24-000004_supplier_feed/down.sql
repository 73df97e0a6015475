ALTER TABLE orders DROP COLUMN tracking;
ALTER TABLE orders DROP COLUMN carrier;
ALTER TABLE orders DROP COLUMN delivered_at;
ALTER TABLE orders DROP COLUMN shipped_at;
DROP INDEX order_assignments_feed;
ALTER TABLE order_assignments DROP COLUMN supplier_reference;
ALTER TABLE order_assignments DROP COLUMN feed_seq;
DROP TABLE feed_sequence;
