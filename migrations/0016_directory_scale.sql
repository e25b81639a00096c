-- The directory at 100,000 identities (issue 14, item 5): every page of Tenant › Identities and
-- Access Control › Identities is one range read of an index in the page's keyset order (the
-- sort's key, then created_at and id to break ties), and every stat card is counted from an index
-- holding exactly what it counts. The Email sort (emails are unique: no tie-break) and the email
-- prefix search use UNIQUE (account_id, email).

-- Newest first (the default order of both pages) and its keyset cursor.
CREATE INDEX identities_by_created ON identities (account_id, created_at, id);
-- The status filter in that order, the Status sort, and the status stat cards (GROUP BY status).
CREATE INDEX identities_by_status ON identities (account_id, status, created_at, id);
-- The Name sort and the name prefix search: the same expression as the queries.
CREATE INDEX identities_by_name ON identities (account_id, LOWER(first_name || ' ' || last_name), created_at, id);
CREATE INDEX identities_by_last_name ON identities (account_id, LOWER(last_name));
-- The external id prefix search, in any case (the unique index compares them as typed).
CREATE INDEX identities_by_external_id ON identities (account_id, LOWER(external_id));
-- The "Email unverified" card (the column too, so the count reads the index alone).
CREATE INDEX identities_unverified ON identities (account_id, email_verified_at) WHERE email_verified_at IS NULL;
-- The "No memberships" card: the identities with an active membership, counted from the index.
CREATE INDEX app_memberships_active ON app_memberships (account_id, status, identity_id);
