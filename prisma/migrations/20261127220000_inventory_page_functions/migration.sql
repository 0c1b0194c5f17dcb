-- The inventory page's fixed parts as functions, so that PostgreSQL plans them once per
-- connection instead of on every request. The page is one statement (dids.repo.ts
-- readListPage): its search form's option lists, its rows and its total. Its filter part
-- changes with every URL and is planned with the URL's values, as it must be (a status
-- or an operator can hold ten rows or ten million). The rest never changes: planning it
-- (an eight-table display query and three option lists) took more of PostgreSQL's time
-- than running the whole statement, about 1 ms a page, and that was the light page's
-- limit under twenty connections. A PL/pgSQL function keeps its queries' plans for the
-- connection, and force_generic_plan keeps it from planning again for each call (left to
-- itself, it does, because an array of 1 id looks cheaper than the generic plan's guess).
-- Changing what the page shows means a migration that replaces these functions.
-- PARALLEL RESTRICTED: a function left at the default (unsafe) would keep the whole
-- statement from a parallel plan, its filter and an exact count(*) of millions included.
-- The migration runner splits scripts at every semicolon, even inside a function body or a
-- comment, so the bodies' semicolons are written as \073 in escaped strings (quotes doubled).

-- The rows of one inventory page, in the order of `ids` (the page's ids as its filter and
-- sort chose them), as a JSON array of objects with the DidRow fields. Client, account
-- and package as scalar subqueries: the DID may have none.
CREATE FUNCTION did_page_rows(ids integer[]) RETURNS json LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET plan_cache_mode = force_generic_plan AS E'
BEGIN
  RETURN (
    SELECT coalesce(json_agg(p ORDER BY p.position), ''[]'')
    FROM (
      SELECT d.id, d.number, d.status::text AS status, d.operator_id AS "operatorId", o.name AS "operatorName",
        r.id AS "resellerId", r.name AS "resellerName", d.tag, d.notes,
        (SELECT c.id FROM client_account ca JOIN client c ON c.id = ca.client_id WHERE ca.id = d.client_account_id) AS "clientId",
        (SELECT c.name FROM client_account ca JOIN client c ON c.id = ca.client_id WHERE ca.id = d.client_account_id) AS "clientName",
        (SELECT ca.name FROM client_account ca WHERE ca.id = d.client_account_id) AS "accountName",
        (SELECT pk.name FROM subscription su JOIN package pk ON pk.id = su.package_id WHERE su.id = d.subscription_id) AS "packageName",
        d.hold_until AS "holdUntil", page.position
      FROM unnest(ids) WITH ORDINALITY AS page(id, position)
      JOIN did d ON d.id = page.id
      JOIN operator o ON o.id = d.operator_id
      JOIN reseller r ON r.id = o.reseller_id
    ) p
  )\073
END';

-- The inventory search form's option lists for a scope (a reseller's id, or NULL for
-- everything): {operators: [{id, name, reseller: {id, name}}], resellers: [{id, name}],
-- packages: [{id, name, reseller: {name}}]}, each ordered as the form shows it.
CREATE FUNCTION did_list_options(scope_reseller_id integer) RETURNS json LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET plan_cache_mode = force_generic_plan AS E'
BEGIN
  RETURN json_build_object(
    ''operators'', (
      SELECT coalesce(json_agg(json_build_object(''id'', o.id, ''name'', o.name, ''reseller'', json_build_object(''id'', r.id, ''name'', r.name)) ORDER BY r.name, o.name), ''[]'')
      FROM operator o JOIN reseller r ON r.id = o.reseller_id
      WHERE scope_reseller_id IS NULL OR o.reseller_id = scope_reseller_id),
    ''resellers'', (
      SELECT coalesce(json_agg(json_build_object(''id'', r.id, ''name'', r.name) ORDER BY r.name), ''[]'')
      FROM reseller r
      WHERE scope_reseller_id IS NULL OR r.id = scope_reseller_id),
    ''packages'', (
      SELECT coalesce(json_agg(json_build_object(''id'', p.id, ''name'', p.name, ''reseller'', json_build_object(''name'', r.name)) ORDER BY r.name, p.name, p.id), ''[]'')
      FROM package p JOIN reseller r ON r.id = p.reseller_id
      WHERE scope_reseller_id IS NULL OR p.reseller_id = scope_reseller_id)
  )\073
END';
