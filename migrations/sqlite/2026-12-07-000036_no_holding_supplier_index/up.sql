-- Every statement that looks an order up by the supplier holding it names the order too, so
-- the primary key finds it. The index of holding suppliers only misled the planner: after a
-- burst of routed orders (100,000 in a minute) its statistics still said it was nearly empty,
-- and PostgreSQL chose to read it whole instead of probing the primary key, for each batch of
-- an escalation sweep (150-300 ms a statement instead of 20). Suppliers are never deleted
-- (they are suspended), so the foreign key needs no index either.
DROP INDEX orders_supplier;
