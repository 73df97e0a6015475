DROP INDEX orders_due;
CREATE INDEX orders_due ON orders (status, response_deadline);
DROP INDEX orders_supplier;
CREATE INDEX orders_supplier ON orders (current_supplier_id);
DROP INDEX orders_parent;
CREATE INDEX orders_parent ON orders (parent_order_id);
