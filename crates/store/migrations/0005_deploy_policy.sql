-- Who may deploy a stack that reaches the nodes themselves (bind mounts of host paths,
-- capabilities, kernel parameters, the host's network): admins only, or operators too.
ALTER TABLE swarms ADD COLUMN privileged_deploys TEXT NOT NULL DEFAULT 'admin'
    CHECK (privileged_deploys IN ('admin', 'operator'));
