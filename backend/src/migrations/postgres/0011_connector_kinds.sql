-- PostgreSQL version of ../0011_connector_kinds.sql: the list of connector
-- kinds moves out of the schema into the server (connector::KINDS).
ALTER TABLE integrations DROP CONSTRAINT IF EXISTS integrations_connector_check;
