-- Each license keeps the number of its active devices, kept exact by triggers on every write of a
-- device, so "without active devices" is one index range at a million licenses instead of probing
-- every license's devices, and a listing reads the number instead of counting.
DROP TRIGGER license_updated;
ALTER TABLE licenses ADD COLUMN active_devices INTEGER NOT NULL DEFAULT 0;
UPDATE licenses SET active_devices =
    (SELECT COUNT(*) FROM devices d WHERE d.license_id = licenses.id AND d.active);

-- The count follows device changes, which are logged by their own triggers: its update is no change
-- of its own for the check cache.
CREATE TRIGGER license_updated AFTER UPDATE ON licenses
WHEN NEW.active_devices = OLD.active_devices
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.id); END;

CREATE TRIGGER active_device_added AFTER INSERT ON devices WHEN NEW.active
BEGIN UPDATE licenses SET active_devices = active_devices + 1 WHERE id = NEW.license_id; END;
CREATE TRIGGER active_device_deleted AFTER DELETE ON devices WHEN OLD.active
BEGIN UPDATE licenses SET active_devices = active_devices - 1 WHERE id = OLD.license_id; END;
CREATE TRIGGER device_activity_changed AFTER UPDATE OF active, license_id ON devices
WHEN NEW.active IS NOT OLD.active OR NEW.license_id IS NOT OLD.license_id
BEGIN
    UPDATE licenses SET active_devices = active_devices - 1 WHERE id = OLD.license_id AND OLD.active;
    UPDATE licenses SET active_devices = active_devices + 1 WHERE id = NEW.license_id AND NEW.active;
END;

-- Licenses without active devices are found by `active_devices = 0`, newest first.
CREATE INDEX licenses_by_active_devices ON licenses (company_id, active_devices);
