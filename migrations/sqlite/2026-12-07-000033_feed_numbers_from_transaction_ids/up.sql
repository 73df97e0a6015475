-- Nothing to change: on SQLite one transaction writes at a time, so a change keeps taking its
-- feed number from the counter when it is made (PostgreSQL numbers changes by transaction id,
-- see there).
SELECT 1;
