-- Report changes are logged a statement at a time. A row trigger ran a PL/pgSQL function and
-- an INSERT for every order and offer written: for a batch of the escalation sweep, 1,500
-- single-row inserts, a good part of its time. These statement triggers log the same orders
-- with one INSERT ... SELECT over the statement's transition tables. An update is logged when
-- one of the columns the figures depend on changed value (the row triggers fired when the
-- column was merely named in the SET list, with the same effect on the figures).
--
-- Transition tables take neither a column list nor two events, hence a trigger per event.
DROP TRIGGER report_orders_changed ON orders;
DROP TRIGGER report_assignments_changed ON order_assignments;
DROP FUNCTION report_log_order_change();
DROP FUNCTION report_log_assignment_change();

CREATE FUNCTION report_log_inserted_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id) SELECT id FROM inserted_orders ORDER BY id;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_log_updated_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id)
    SELECT n.id
      FROM updated_orders n
      JOIN orders_before_update o ON o.id = n.id
     WHERE (n.status, n.institution_id, n.lot_id, n.placed_at, n.confirmed_supplier_id,
            n.confirmed_at, n.breach_at, n.delivered_at, n.delivery_due)
           IS DISTINCT FROM
           (o.status, o.institution_id, o.lot_id, o.placed_at, o.confirmed_supplier_id,
            o.confirmed_at, o.breach_at, o.delivered_at, o.delivery_due)
     ORDER BY n.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_log_inserted_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id)
    SELECT order_id FROM inserted_assignments ORDER BY order_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_log_updated_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id)
    SELECT n.order_id
      FROM updated_assignments n
      JOIN assignments_before_update o ON o.id = n.id
     WHERE (n.order_id, n.supplier_id, n.rank, n.outcome)
           IS DISTINCT FROM (o.order_id, o.supplier_id, o.rank, o.outcome)
     ORDER BY n.order_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER report_orders_inserted
AFTER INSERT ON orders REFERENCING NEW TABLE AS inserted_orders
FOR EACH STATEMENT EXECUTE FUNCTION report_log_inserted_orders();

CREATE TRIGGER report_orders_updated
AFTER UPDATE ON orders REFERENCING OLD TABLE AS orders_before_update NEW TABLE AS updated_orders
FOR EACH STATEMENT EXECUTE FUNCTION report_log_updated_orders();

CREATE TRIGGER report_assignments_inserted
AFTER INSERT ON order_assignments REFERENCING NEW TABLE AS inserted_assignments
FOR EACH STATEMENT EXECUTE FUNCTION report_log_inserted_assignments();

CREATE TRIGGER report_assignments_updated
AFTER UPDATE ON order_assignments
REFERENCING OLD TABLE AS assignments_before_update NEW TABLE AS updated_assignments
FOR EACH STATEMENT EXECUTE FUNCTION report_log_updated_assignments();
