-- Slugs are the first segments of dashboard URLs (/{account}/{application}/{environment}/…), so
-- none may be one of Arbor's own paths (app::model::slug::RESERVED_SLUGS; a unit test checks this
-- list against it). Any account, application or environment created with one before the list
-- existed is renamed: to `<slug>-2` as generation would when that is free in its scope, otherwise
-- to `<slug>-<end of its id>`, which is unique. Plain SQL that reads the same on both engines.

UPDATE accounts SET slug = slug || '-2'
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new')
  AND NOT EXISTS (SELECT 1 FROM accounts AS other WHERE other.slug = accounts.slug || '-2');
UPDATE accounts SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new');

UPDATE applications SET slug = slug || '-2'
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new')
  AND NOT EXISTS (SELECT 1 FROM applications AS other WHERE other.account_id = applications.account_id AND other.slug = applications.slug || '-2');
UPDATE applications SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new');

UPDATE environments SET slug = slug || '-2'
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new')
  AND NOT EXISTS (SELECT 1 FROM environments AS other WHERE other.account_id = environments.account_id AND other.application_id = environments.application_id AND other.slug = environments.slug || '-2');
UPDATE environments SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('api', 'pkg', 'assets', 'static', 'signin', 'signup', 'signout', 'healthz', 'readyz', 'metrics', 'oauth', 'oidc', 'accept-invite', 'reset-password', 'verify-email', 'login', 'logout', 'admin', 'settings', 'new');
