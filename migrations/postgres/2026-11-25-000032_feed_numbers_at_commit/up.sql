-- Feed numbers are given at commit time. A change a supplier should see is written with a
-- number below zero; this deferred trigger replaces it with the counter's next value when
-- the transaction commits. The counter row is then locked from the commit's first stamp to
-- its end, so numbers still follow commit order (a poller never misses a change committed
-- late), but concurrent orders, answers and sweeps no longer hold it through all their
-- statements: they queue only for the stamp and the flush. Every row stamped here was
-- written by the same transaction, so it already holds that row's lock and the counter is
-- always the last lock it takes: no deadlock through it.
CREATE FUNCTION stamp_feed_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq BIGINT;
BEGIN
    -- A row written twice in one transaction queued two stamps; the first did the work.
    IF EXISTS (SELECT 1 FROM order_assignments WHERE id = NEW.id AND feed_seq < 0) THEN
        UPDATE feed_sequence SET value = value + 1 WHERE id = 1 RETURNING value INTO next_seq;
        UPDATE order_assignments SET feed_seq = next_seq WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER order_assignments_feed_at_commit
    AFTER INSERT OR UPDATE OF feed_seq ON order_assignments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.feed_seq < 0)
    EXECUTE FUNCTION stamp_feed_seq();
