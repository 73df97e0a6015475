-- The published catalogue is cached in memory by every server process. Any change to what
-- it shows bumps this single revision, in the same transaction as the change, so a cache
-- compares one integer to know whether it is still current, whoever made the change
-- (another process, the command line, an import).
CREATE TABLE catalogue_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 1);

CREATE TRIGGER categories_insert_catalogue AFTER INSERT ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER categories_update_catalogue AFTER UPDATE ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER categories_delete_catalogue AFTER DELETE ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER vat_rates_insert_catalogue AFTER INSERT ON vat_rates
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER vat_rates_update_catalogue AFTER UPDATE ON vat_rates
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER vat_rates_delete_catalogue AFTER DELETE ON vat_rates
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER lots_insert_catalogue AFTER INSERT ON lots
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER lots_update_catalogue AFTER UPDATE ON lots
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER lots_delete_catalogue AFTER DELETE ON lots
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER cascade_entries_insert_catalogue AFTER INSERT ON cascade_entries
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER cascade_entries_update_catalogue AFTER UPDATE ON cascade_entries
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER cascade_entries_delete_catalogue AFTER DELETE ON cascade_entries
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER products_insert_catalogue AFTER INSERT ON products
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER products_update_catalogue AFTER UPDATE ON products
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER products_delete_catalogue AFTER DELETE ON products
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER supplier_offers_insert_catalogue AFTER INSERT ON supplier_offers
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER supplier_offers_update_catalogue AFTER UPDATE ON supplier_offers
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

CREATE TRIGGER supplier_offers_delete_catalogue AFTER DELETE ON supplier_offers
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;

-- Only a supplier's name and status show in the catalogue; webhook settings do not.
CREATE TRIGGER suppliers_update_catalogue AFTER UPDATE OF name, status ON suppliers
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER suppliers_insert_catalogue AFTER INSERT ON suppliers
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
