-- Feed numbers without a shared counter. A change a supplier should see is written with a
-- number below zero; a trigger replaces it at once with
--
--     (id of the writing transaction << 20) + offset + n
--
-- where n counts the transaction's changes (1, 2, ...). A supplier's poll only returns
-- numbers below feed_visible_below(): the oldest transaction still running, as its snapshot
-- tells. Every transaction with a smaller id has ended, so no change can appear later below
-- that bound, and a poller that remembers the last number it saw misses nothing and repeats
-- nothing. A change of a transaction still in flight holds later changes back until it ends,
-- but nobody waits on anybody to write: the counter row that every order, answer and sweep
-- used to lock until its commit was flushed is gone from their path.
--
-- Transaction ids are 64-bit (xid8) and never wrap; shifted by 20 bits they stay below 2^63
-- for 8.8 trillion transactions. The offset puts every number given from now on above those
-- given by the counter before this migration.
DROP TRIGGER order_assignments_feed_at_commit ON order_assignments;
DROP FUNCTION stamp_feed_seq();

DO $$
DECLARE
    given BIGINT := GREATEST(
        (SELECT value FROM feed_sequence WHERE id = 1),
        (SELECT COALESCE(MAX(feed_seq), 0) FROM order_assignments));
    first_new BIGINT := ((pg_current_xact_id()::text::bigint) << 20) + 1;
BEGIN
    EXECUTE format(
        'CREATE FUNCTION feed_seq_offset() RETURNS BIGINT LANGUAGE sql IMMUTABLE AS %L',
        'SELECT ' || GREATEST(0, given + 1 - first_new)::text || '::bigint');
END
$$;

CREATE FUNCTION give_feed_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n BIGINT := COALESCE(NULLIF(current_setting('centrale.feed_changes', true), ''), '0')::bigint + 1;
BEGIN
    IF n >= 1048576 THEN
        RAISE EXCEPTION 'a transaction may change at most 1048575 supplier feed entries';
    END IF;
    -- Local to the transaction: the count starts again at 1 in the next one.
    PERFORM set_config('centrale.feed_changes', n::text, true);
    NEW.feed_seq := ((pg_current_xact_id()::text::bigint) << 20) + feed_seq_offset() + n;
    RETURN NEW;
END
$$;

CREATE TRIGGER order_assignments_feed_seq
    BEFORE INSERT OR UPDATE OF feed_seq ON order_assignments
    FOR EACH ROW WHEN (NEW.feed_seq < 0)
    EXECUTE FUNCTION give_feed_seq();

-- The first number a poll may not return yet: that of the oldest transaction still running.
CREATE FUNCTION feed_visible_below() RETURNS BIGINT LANGUAGE sql STABLE AS $$
    SELECT ((pg_snapshot_xmin(pg_current_snapshot())::text::bigint) << 20) + feed_seq_offset() + 1
$$;
