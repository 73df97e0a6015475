-- Reports select orders by the time they were placed, over the whole history.
CREATE INDEX orders_placed ON orders (placed_at, status);
-- Members per competent authority count active institutions per authority.
CREATE INDEX institutions_authority_status ON institutions (competent_authority_id, status);
