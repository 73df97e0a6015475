DROP TABLE webhook_deliveries;
ALTER TABLE suppliers DROP COLUMN webhook_secret;
ALTER TABLE suppliers DROP COLUMN webhook_url;
