-- Three columns of orders are set only for a while: the supplier holding an order and its
-- answer deadline while the order waits on a supplier (the CHECK on orders ties both to the
-- status `routed`), and the parent of the remainder of a partial acceptance. Almost every
-- order has them NULL, yet a full index keeps an entry for each, and every checkout, answer
-- and escalation writes those entries again. Indexed only where set, an accepted order
-- leaves all three indexes. Queries look for values (`= $1`, `<= $1`), which imply NOT NULL,
-- so they use these indexes as before, prepared with parameters or not.
DROP INDEX orders_due;
CREATE INDEX orders_due ON orders (response_deadline) WHERE response_deadline IS NOT NULL;
DROP INDEX orders_supplier;
CREATE INDEX orders_supplier ON orders (current_supplier_id) WHERE current_supplier_id IS NOT NULL;
DROP INDEX orders_parent;
CREATE INDEX orders_parent ON orders (parent_order_id) WHERE parent_order_id IS NOT NULL;
