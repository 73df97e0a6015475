-- The mail and webhook senders ask, every second, for the first due messages in id order.
-- Among everything ever sent, few are waiting; these indexes hold only those, in id order,
-- so a pass reads what waits instead of the whole history (with 100,000 sent deliveries,
-- PostgreSQL spent 8-20 ms a pass sorting or filtering them). Each predicate is repeated
-- word for word in the senders' queries, as a partial index requires.
CREATE INDEX outbox_emails_unsent ON outbox_emails (id) WHERE sent_at IS NULL;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE delivered_at IS NULL AND failed_at IS NULL;
