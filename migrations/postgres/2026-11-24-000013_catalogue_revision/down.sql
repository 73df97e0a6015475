DROP TRIGGER categories_catalogue ON categories;
DROP TRIGGER vat_rates_catalogue ON vat_rates;
DROP TRIGGER lots_catalogue ON lots;
DROP TRIGGER cascade_entries_catalogue ON cascade_entries;
DROP TRIGGER products_catalogue ON products;
DROP TRIGGER supplier_offers_catalogue ON supplier_offers;
DROP TRIGGER suppliers_catalogue ON suppliers;
DROP FUNCTION bump_catalogue_revision();
DROP TABLE catalogue_revision;
