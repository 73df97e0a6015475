DROP INDEX webhook_deliveries_pending;
DROP INDEX outbox_emails_unsent;
