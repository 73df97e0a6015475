-- The published catalogue is cached in memory by every server process. Any change to what
-- it shows bumps this single revision, in the same transaction as the change, so a cache
-- compares one integer to know whether it is still current, whoever made the change
-- (another process, the command line, an import).
CREATE TABLE catalogue_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 1);

-- Row-level, like SQLite's: a statement-level trigger would also fire for updates that match
-- no row, and the worker's availability pass runs one every second.
CREATE FUNCTION bump_catalogue_revision() RETURNS trigger AS $$
BEGIN
    UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER categories_catalogue AFTER INSERT OR UPDATE OR DELETE ON categories
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

CREATE TRIGGER vat_rates_catalogue AFTER INSERT OR UPDATE OR DELETE ON vat_rates
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

CREATE TRIGGER lots_catalogue AFTER INSERT OR UPDATE OR DELETE ON lots
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

CREATE TRIGGER cascade_entries_catalogue AFTER INSERT OR UPDATE OR DELETE ON cascade_entries
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

CREATE TRIGGER products_catalogue AFTER INSERT OR UPDATE OR DELETE ON products
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

CREATE TRIGGER supplier_offers_catalogue AFTER INSERT OR UPDATE OR DELETE ON supplier_offers
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();

-- Only a supplier's name and status show in the catalogue; webhook settings do not.
CREATE TRIGGER suppliers_catalogue AFTER INSERT OR UPDATE OF name, status ON suppliers
FOR EACH ROW EXECUTE FUNCTION bump_catalogue_revision();
