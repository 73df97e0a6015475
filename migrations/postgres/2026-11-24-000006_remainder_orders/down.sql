DROP INDEX orders_parent;
ALTER TABLE orders DROP COLUMN parent_order_id;
