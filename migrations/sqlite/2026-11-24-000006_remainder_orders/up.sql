-- Partial acceptance: the lines a supplier does not accept continue down the cascade as a
-- remainder order linked to the one it came from.
ALTER TABLE orders ADD COLUMN parent_order_id BIGINT REFERENCES orders (id);
CREATE INDEX orders_parent ON orders (parent_order_id);
