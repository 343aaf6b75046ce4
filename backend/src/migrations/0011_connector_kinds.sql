-- More connector kinds (`mysql`, `ldap`, and those to come): the list of
-- kinds moves out of the schema into the server (connector::KINDS checks an
-- admin's choice), so a new kind needs no migration. SQLite cannot drop a
-- CHECK constraint: the column is copied to one without it.
ALTER TABLE integrations ADD COLUMN connector_kind TEXT NOT NULL DEFAULT 'demo';
UPDATE integrations SET connector_kind = connector;
ALTER TABLE integrations DROP COLUMN connector;
ALTER TABLE integrations RENAME COLUMN connector_kind TO connector;
