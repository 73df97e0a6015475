DROP FUNCTION feed_visible_below();
DROP TRIGGER order_assignments_feed_seq ON order_assignments;
DROP FUNCTION give_feed_seq();
-- Numbers given by transaction id lie above the counter: it goes on from the highest.
UPDATE feed_sequence
   SET value = GREATEST(value, (SELECT COALESCE(MAX(feed_seq), 0) FROM order_assignments))
 WHERE id = 1;
DROP FUNCTION feed_seq_offset();

CREATE FUNCTION stamp_feed_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq BIGINT;
BEGIN
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
