DROP TRIGGER report_orders_added ON orders;
DROP TRIGGER report_orders_changed ON orders;
DROP TRIGGER report_assignments_added ON order_assignments;
DROP TRIGGER report_assignments_changed ON order_assignments;
DROP FUNCTION report_log_orders_added();
DROP FUNCTION report_log_orders_changed();
DROP FUNCTION report_log_assignments_added();
DROP FUNCTION report_log_assignments_changed();

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
