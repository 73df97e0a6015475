DROP TRIGGER order_assignments_feed_at_commit ON order_assignments;
DROP FUNCTION stamp_feed_seq();
