CREATE INDEX orders_supplier ON orders (current_supplier_id) WHERE current_supplier_id IS NOT NULL;
