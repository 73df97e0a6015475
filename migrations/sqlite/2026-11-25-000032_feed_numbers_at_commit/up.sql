-- Nothing to change: on SQLite one transaction writes at a time, so a change takes its feed
-- number from the counter when it is made (PostgreSQL gives it at commit, see there).
SELECT 1;
