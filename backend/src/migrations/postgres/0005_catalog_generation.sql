-- PostgreSQL version of ../0005_catalog_generation.sql (conventions: see 0001_foundation.sql).
-- A catalog generation: one counter that every write to a table the catalog
-- lists (and the access flows that decide what someone may request) moves
-- forward, by trigger, so no code path (admin API, connector sync, CLI, another
-- process) can change the catalog without the server's cached catalog pages
-- and counts noticing on their next read.
-- id is SQLite's INTEGER PRIMARY KEY but fixed at 1, so a plain BIGINT
-- PRIMARY KEY here, not an identity.
CREATE TABLE catalog_generation (
    id  BIGINT PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
INSERT INTO catalog_generation (id, n) VALUES (1, 0);

-- SQLite has three row-level triggers (insert, update, delete) per table.
-- Here one statement-level trigger per table does the same job: the counter
-- moves on after any INSERT, UPDATE, DELETE (or TRUNCATE, which PostgreSQL
-- has and SQLite has not) on the table. Unlike SQLite it also moves on after
-- a statement that changed no row (e.g. ON CONFLICT DO NOTHING that did
-- nothing), so the values of n differ between the stores; only "n changed"
-- means anything.
CREATE FUNCTION bump_catalog_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER catalog_generation_integrations AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON integrations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_resource_types AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource_types
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_permissions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_resources AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resources
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_resource_tags AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource_tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_bundles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bundles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_bundle_items AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bundle_items
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_access_flows AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON access_flows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_flow_grantees AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flow_grantees
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_flow_scope AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flow_scope
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_flow_permissions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flow_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_flow_approvers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flow_approvers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_groups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE TRIGGER catalog_generation_group_members AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();

-- The data generation (PostgreSQL has no `PRAGMA data_version`): every write
-- transaction of Gatehouse takes the next value right after it commits, and
-- answers kept in memory (request lists, sign-in lookups) are kept only while
-- it stays the same. A sequence, not a counter row: taking a value locks
-- nothing, so concurrent writers never wait on each other for it.
CREATE SEQUENCE data_generation;

-- Writes made outside Gatehouse (psql, another tool) move it on too, by a
-- trigger on every table: taking a value inside the writing transaction
-- leaves a short window before its commit in which a reader may keep an
-- older answer under the new value, for the rest of that clock second at
-- most (Gatehouse's own writes close it by taking another value after they
-- commit). A migration that adds a table adds its trigger.
CREATE FUNCTION bump_data_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('data_generation');
    RETURN NULL;
END
$$;
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables
             WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'
    LOOP
        EXECUTE format('CREATE TRIGGER data_generation_%s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation()', t, t);
    END LOOP;
END
$$;
