DROP TRIGGER report_orders_inserted ON orders;
DROP TRIGGER report_orders_updated ON orders;
DROP TRIGGER report_assignments_inserted ON order_assignments;
DROP TRIGGER report_assignments_updated ON order_assignments;
DROP FUNCTION report_log_inserted_orders();
DROP FUNCTION report_log_updated_orders();
DROP FUNCTION report_log_inserted_assignments();
DROP FUNCTION report_log_updated_assignments();

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
