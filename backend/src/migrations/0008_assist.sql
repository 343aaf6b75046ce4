-- Assistants (MCP clients): a request made through one names it, and each
-- access flow says whether it takes such requests at all.
-- The MCP client's name (from its `initialize`), when an assistant made the request.
ALTER TABLE requests ADD COLUMN via_assistant TEXT;
-- 1: requests made through an AI assistant are accepted; 0: refused.
ALTER TABLE access_flows ADD COLUMN assistants_allowed INTEGER NOT NULL DEFAULT 1 CHECK (assistants_allowed IN (0, 1));
