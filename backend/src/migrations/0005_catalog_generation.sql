-- A catalog generation: one counter that every write to a table the catalog
-- lists (and the access flows that decide what someone may request) moves
-- forward, by trigger, so no code path (admin API, connector sync, CLI, another
-- process) can change the catalog without the server's cached catalog pages
-- and counts noticing on their next read.
CREATE TABLE catalog_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO catalog_generation (id, n) VALUES (1, 0);

CREATE TRIGGER catalog_generation_integrations_insert AFTER INSERT ON integrations BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_integrations_update AFTER UPDATE ON integrations BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_integrations_delete AFTER DELETE ON integrations BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_types_insert AFTER INSERT ON resource_types BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_types_update AFTER UPDATE ON resource_types BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_types_delete AFTER DELETE ON resource_types BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_permissions_insert AFTER INSERT ON permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_permissions_update AFTER UPDATE ON permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_permissions_delete AFTER DELETE ON permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resources_insert AFTER INSERT ON resources BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resources_update AFTER UPDATE ON resources BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resources_delete AFTER DELETE ON resources BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_tags_insert AFTER INSERT ON resource_tags BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_tags_update AFTER UPDATE ON resource_tags BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_resource_tags_delete AFTER DELETE ON resource_tags BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundles_insert AFTER INSERT ON bundles BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundles_update AFTER UPDATE ON bundles BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundles_delete AFTER DELETE ON bundles BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundle_items_insert AFTER INSERT ON bundle_items BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundle_items_update AFTER UPDATE ON bundle_items BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_bundle_items_delete AFTER DELETE ON bundle_items BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_access_flows_insert AFTER INSERT ON access_flows BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_access_flows_update AFTER UPDATE ON access_flows BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_access_flows_delete AFTER DELETE ON access_flows BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_grantees_insert AFTER INSERT ON flow_grantees BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_grantees_update AFTER UPDATE ON flow_grantees BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_grantees_delete AFTER DELETE ON flow_grantees BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_scope_insert AFTER INSERT ON flow_scope BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_scope_update AFTER UPDATE ON flow_scope BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_scope_delete AFTER DELETE ON flow_scope BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_permissions_insert AFTER INSERT ON flow_permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_permissions_update AFTER UPDATE ON flow_permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_permissions_delete AFTER DELETE ON flow_permissions BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_approvers_insert AFTER INSERT ON flow_approvers BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_approvers_update AFTER UPDATE ON flow_approvers BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_flow_approvers_delete AFTER DELETE ON flow_approvers BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_groups_insert AFTER INSERT ON groups BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_groups_update AFTER UPDATE ON groups BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_groups_delete AFTER DELETE ON groups BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_group_members_insert AFTER INSERT ON group_members BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_group_members_update AFTER UPDATE ON group_members BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER catalog_generation_group_members_delete AFTER DELETE ON group_members BEGIN
    UPDATE catalog_generation SET n = n + 1 WHERE id = 1;
END;
