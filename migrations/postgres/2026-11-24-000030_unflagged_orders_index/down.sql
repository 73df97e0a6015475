DROP INDEX orders_unflagged;
