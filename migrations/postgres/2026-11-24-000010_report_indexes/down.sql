DROP INDEX institutions_authority_status;
DROP INDEX orders_placed;
