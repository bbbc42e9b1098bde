-- Each license keeps the number of its active devices, kept exact by triggers on every write of a
-- device, so "without active devices" is one index range at a million licenses instead of probing
-- every license's devices, and a listing reads the number instead of counting. Every
-- path that writes devices holds its license's row lock first, so the triggers' license updates
-- take no lock out of order.
DROP TRIGGER license_changed ON licenses;
ALTER TABLE licenses ADD COLUMN active_devices BIGINT NOT NULL DEFAULT 0;
UPDATE licenses SET active_devices = counted.active
FROM (SELECT license_id, COUNT(*) AS active FROM devices WHERE active GROUP BY license_id) counted
WHERE counted.license_id = licenses.id;

-- The count follows device changes, which are announced by their own triggers: its update is no
-- change of its own for the check cache.
CREATE TRIGGER license_changed AFTER UPDATE ON licenses
    FOR EACH ROW WHEN (NEW.active_devices = OLD.active_devices) EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER license_deleted AFTER DELETE ON licenses
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();

-- Inserts and deletes count per statement, so a bulk import updates each license once.
CREATE FUNCTION latch_count_active_devices() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE licenses SET active_devices = active_devices + added.active
        FROM (SELECT license_id, COUNT(*) AS active FROM added_devices WHERE active GROUP BY license_id) added
        WHERE added.license_id = licenses.id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE licenses SET active_devices = active_devices - removed.active
        FROM (SELECT license_id, COUNT(*) AS active FROM removed_devices WHERE active GROUP BY license_id) removed
        WHERE removed.license_id = licenses.id;
    ELSE
        UPDATE licenses SET active_devices = active_devices - 1 WHERE id = OLD.license_id AND OLD.active;
        UPDATE licenses SET active_devices = active_devices + 1 WHERE id = NEW.license_id AND NEW.active;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER active_devices_added AFTER INSERT ON devices
    REFERENCING NEW TABLE AS added_devices
    FOR EACH STATEMENT EXECUTE FUNCTION latch_count_active_devices();
CREATE TRIGGER active_devices_deleted AFTER DELETE ON devices
    REFERENCING OLD TABLE AS removed_devices
    FOR EACH STATEMENT EXECUTE FUNCTION latch_count_active_devices();
CREATE TRIGGER device_activity_changed AFTER UPDATE OF active, license_id ON devices
    FOR EACH ROW WHEN (NEW.active IS DISTINCT FROM OLD.active OR NEW.license_id IS DISTINCT FROM OLD.license_id)
    EXECUTE FUNCTION latch_count_active_devices();

-- Licenses without active devices are found by `active_devices = 0`, newest first.
CREATE INDEX licenses_by_active_devices ON licenses (company_id, active_devices, id);
