-- The 24-hour sweep looks for orders still waiting, unflagged, placed before a limit. Among
-- a history of delivered orders they are few; this index holds only them, so the sweep never
-- reads the history. Its predicate is repeated word for word in the query (both databases
-- use a partial index only when the query's WHERE clause states its condition).
CREATE INDEX orders_unflagged ON orders (placed_at) WHERE breach_at IS NULL AND status IN ('placed', 'routed');
