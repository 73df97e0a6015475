-- The report log is written once per statement instead of once per row. An escalation batch
-- moves 500 orders, closes 500 offers and opens 500 more in three statements; a row trigger
-- called a function and ran an insert for each of those 1,500 rows. Each statement now logs
-- its rows in one insert, from the transition tables PostgreSQL keeps for the trigger.
--
-- A trigger with transition tables cannot name the columns an UPDATE must set, so an update
-- logs the rows whose counted columns changed value: the same orders as before, except those
-- set to the value they already had, which change no figure.
DROP TRIGGER report_orders_changed ON orders;
DROP TRIGGER report_assignments_changed ON order_assignments;
DROP FUNCTION report_log_order_change();
DROP FUNCTION report_log_assignment_change();

CREATE FUNCTION report_log_orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id) SELECT id FROM added_orders;
    RETURN NULL;
END;
$$;

CREATE FUNCTION report_log_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id)
    SELECT n.id
    FROM changed_orders AS n JOIN orders_before AS o ON o.id = n.id
    WHERE (n.status, n.institution_id, n.lot_id, n.placed_at, n.confirmed_supplier_id,
           n.confirmed_at, n.breach_at, n.delivered_at, n.delivery_due)
        IS DISTINCT FROM
          (o.status, o.institution_id, o.lot_id, o.placed_at, o.confirmed_supplier_id,
           o.confirmed_at, o.breach_at, o.delivered_at, o.delivery_due);
    RETURN NULL;
END;
$$;

CREATE FUNCTION report_log_assignments_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id) SELECT order_id FROM added_assignments;
    RETURN NULL;
END;
$$;

CREATE FUNCTION report_log_assignments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (order_id)
    SELECT n.order_id
    FROM changed_assignments AS n JOIN assignments_before AS o ON o.id = n.id
    WHERE (n.order_id, n.supplier_id, n.rank, n.outcome)
        IS DISTINCT FROM (o.order_id, o.supplier_id, o.rank, o.outcome);
    RETURN NULL;
END;
$$;

CREATE TRIGGER report_orders_added AFTER INSERT ON orders
REFERENCING NEW TABLE AS added_orders
FOR EACH STATEMENT EXECUTE FUNCTION report_log_orders_added();

CREATE TRIGGER report_orders_changed AFTER UPDATE ON orders
REFERENCING OLD TABLE AS orders_before NEW TABLE AS changed_orders
FOR EACH STATEMENT EXECUTE FUNCTION report_log_orders_changed();

CREATE TRIGGER report_assignments_added AFTER INSERT ON order_assignments
REFERENCING NEW TABLE AS added_assignments
FOR EACH STATEMENT EXECUTE FUNCTION report_log_assignments_added();

CREATE TRIGGER report_assignments_changed AFTER UPDATE ON order_assignments
REFERENCING OLD TABLE AS assignments_before NEW TABLE AS changed_assignments
FOR EACH STATEMENT EXECUTE FUNCTION report_log_assignments_changed();
