-- Competent authorities: the public bodies institutions answer to.
CREATE TABLE competent_authorities (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO competent_authorities (code, name_fr, name_nl, position) VALUES
    ('COCOF', 'Commission communautaire française (COCOF)', 'Franstalige Gemeenschapscommissie (FGC)', 1),
    ('IRISCARE', 'Iriscare (COCOM)', 'Iriscare (GGC)', 2),
    ('SCR', 'Services du Collège réuni (COCOM)', 'Diensten van het Verenigd College (GGC)', 3),
    ('RBC', 'Région de Bruxelles-Capitale', 'Brussels Hoofdstedelijk Gewest', 4),
    ('FWB', 'Fédération Wallonie-Bruxelles', 'Federatie Wallonië-Brussel', 5),
    ('VG', 'Communauté flamande', 'Vlaamse Gemeenschap', 6),
    ('VGC', 'Commission communautaire flamande (VGC)', 'Vlaamse Gemeenschapscommissie (VGC)', 7),
    ('MUNICIPAL', 'Administration communale', 'Gemeentebestuur', 8),
    ('OTHER', 'Autre', 'Andere', 9);

CREATE TABLE sectors (
    code TEXT PRIMARY KEY,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    position INTEGER NOT NULL
);

INSERT INTO sectors (code, name_fr, name_nl, position) VALUES
    ('care_home', 'Maison de repos et de soins', 'Woonzorgcentrum', 1),
    ('home_care', 'Aide et soins à domicile', 'Thuiszorg', 2),
    ('social_service', 'Service social', 'Sociale dienst', 3),
    ('health_centre', 'Centre de santé', 'Gezondheidscentrum', 4),
    ('disability', 'Handicap', 'Personen met een handicap', 5),
    ('homeless', 'Aide aux sans-abri', 'Daklozenzorg', 6),
    ('administration', 'Administration publique', 'Openbaar bestuur', 7),
    ('other', 'Autre secteur', 'Andere sector', 8);

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    enterprise_number TEXT NOT NULL UNIQUE CHECK (length(enterprise_number) = 10),
    name TEXT NOT NULL CHECK (length(name) > 0),
    competent_authority_id BIGINT NOT NULL REFERENCES competent_authorities (id),
    sector TEXT NOT NULL REFERENCES sectors (code),
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl')),
    billing_street TEXT NOT NULL,
    billing_postcode TEXT NOT NULL,
    billing_city TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'rejected')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX institutions_authority ON institutions (competent_authority_id);

CREATE TABLE delivery_addresses (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    street TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX delivery_addresses_institution ON delivery_addresses (institution_id);

CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY,
    enterprise_number TEXT NOT NULL UNIQUE CHECK (length(enterprise_number) = 10),
    name TEXT NOT NULL CHECK (length(name) > 0),
    email TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl')),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One account table for the three kinds of user; the CHECK keeps each role bound to
-- exactly what it may act for.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'institution', 'supplier')),
    institution_id BIGINT REFERENCES institutions (id),
    supplier_id BIGINT REFERENCES suppliers (id),
    language TEXT NOT NULL CHECK (language IN ('fr', 'nl')),
    password_hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (
        (role = 'admin' AND institution_id IS NULL AND supplier_id IS NULL)
        OR (role = 'institution' AND institution_id IS NOT NULL AND supplier_id IS NULL)
        OR (role = 'supplier' AND supplier_id IS NOT NULL AND institution_id IS NULL)
    )
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_institution ON users (institution_id);
CREATE INDEX users_supplier ON users (supplier_id);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    position INTEGER NOT NULL
);

-- VAT is data with effective dates: a class of products changes rate on a given day
-- (face masks and hand gels went to 6 % from 4 May 2020 to 30 June 2022).
CREATE TABLE vat_classes (
    code TEXT PRIMARY KEY,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL
);

CREATE TABLE vat_rates (
    id INTEGER PRIMARY KEY,
    vat_class TEXT NOT NULL REFERENCES vat_classes (code),
    rate_basis_points INTEGER NOT NULL CHECK (rate_basis_points BETWEEN 0 AND 10000),
    valid_from DATE NOT NULL,
    valid_until DATE,
    CHECK (valid_until IS NULL OR valid_from <= valid_until),
    UNIQUE (vat_class, valid_from)
);

INSERT INTO vat_classes (code, name_fr, name_nl) VALUES
    ('standard', 'Taux normal', 'Normaal tarief'),
    ('reduced', 'Taux réduit', 'Verlaagd tarief'),
    ('covid_ppe', 'Masques et gels hydroalcooliques', 'Mondmaskers en hydroalcoholische gels'),
    ('exempt', 'Exempté (soins)', 'Vrijgesteld (zorg)');

INSERT INTO vat_rates (vat_class, rate_basis_points, valid_from, valid_until) VALUES
    ('standard', 2100, '1996-01-01', NULL),
    ('reduced', 600, '1996-01-01', NULL),
    ('covid_ppe', 2100, '1996-01-01', '2020-05-03'),
    ('covid_ppe', 600, '2020-05-04', '2022-06-30'),
    ('covid_ppe', 2100, '2022-07-01', NULL),
    ('exempt', 0, '1996-01-01', NULL);

-- Framework contracts.
CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    kind TEXT NOT NULL CHECK (kind IN ('goods', 'services')),
    title_fr TEXT NOT NULL,
    title_nl TEXT NOT NULL,
    description_fr TEXT NOT NULL,
    description_nl TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (valid_from <= valid_until)
);

-- A lot's ranked suppliers. Ranks 1..5 unique per lot means at most five suppliers,
-- whatever the code above does.
CREATE TABLE cascade_entries (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    rank INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 5),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (lot_id, rank),
    UNIQUE (lot_id, supplier_id)
);
CREATE INDEX cascade_entries_supplier ON cascade_entries (supplier_id);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    sku TEXT NOT NULL UNIQUE,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL,
    description_fr TEXT NOT NULL,
    description_nl TEXT NOT NULL,
    packaging_fr TEXT NOT NULL,
    packaging_nl TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    standards TEXT NOT NULL,
    vat_class TEXT NOT NULL REFERENCES vat_classes (code),
    min_quantity INTEGER NOT NULL CHECK (min_quantity >= 1),
    order_multiple INTEGER NOT NULL CHECK (order_multiple >= 1),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    -- Lowercase, accent-free text of names, SKU and standards, so search behaves the same
    -- on both backends.
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_lot ON products (lot_id);

-- Each cascade supplier's tender price for a product, and whether it can deliver now.
CREATE TABLE supplier_offers (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    available BOOLEAN NOT NULL DEFAULT TRUE,
    unavailable_until DATE,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, supplier_id)
);
CREATE INDEX supplier_offers_supplier ON supplier_offers (supplier_id);
