-- Nothing to change: SQLite's row triggers run in-process and cost next to nothing
-- (PostgreSQL logs report changes a statement at a time, see there).
SELECT 1;
