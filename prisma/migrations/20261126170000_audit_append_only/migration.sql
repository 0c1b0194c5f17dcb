-- The audit log is append-only: the database itself refuses to change or remove an event,
-- so no code path (nor a mistaken hand-written query) can rewrite history. Archiving old
-- events is a deliberate act of the DBA, who sets did_inventory.allow_audit_purge to on
-- for that session (see the README's "Audit log" section).
-- The migration runner splits scripts at every semicolon, even inside a function body,
-- so the body's semicolons are written as \073 in an escaped string.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP IN (''DELETE'', ''TRUNCATE'') AND current_setting(''did_inventory.allow_audit_purge'', true) = ''on'' THEN
    RETURN OLD\073
  END IF\073
  RAISE EXCEPTION ''audit_event is append-only: events are never updated or deleted''
    USING HINT = ''To archive old events, SET did_inventory.allow_audit_purge = on in that session first.''\073
END';

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
