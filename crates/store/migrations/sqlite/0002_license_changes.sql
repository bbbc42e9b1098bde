-- Every committed change to what a License API check reads is logged here by license, so a node can
-- keep check answers in memory and drop exactly those of licenses changed by anyone (this node, the
-- CLI, another process). Writes that a check only stores behind itself (last check time, cached
-- signatures) are not changes.
CREATE TABLE license_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    license_id INTEGER NOT NULL
);

CREATE TRIGGER license_updated AFTER UPDATE ON licenses
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.id); END;
CREATE TRIGGER license_deleted AFTER DELETE ON licenses
BEGIN INSERT INTO license_changes (license_id) VALUES (OLD.id); END;

CREATE TRIGGER device_added AFTER INSERT ON devices
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER device_updated AFTER UPDATE OF license_id, license_user_id, hardware_id, active, blacklisted,
    is_vm, vm_info, os_ver, hostname, ip, mac_address, app_ver, sdk_ver, floating_until, borrowed_until ON devices
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER device_deleted AFTER DELETE ON devices
BEGIN INSERT INTO license_changes (license_id) VALUES (OLD.license_id); END;

CREATE TRIGGER license_feature_added AFTER INSERT ON license_features
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER license_feature_updated AFTER UPDATE ON license_features
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER license_feature_deleted AFTER DELETE ON license_features
BEGIN INSERT INTO license_changes (license_id) VALUES (OLD.license_id); END;

CREATE TRIGGER assignment_added AFTER INSERT ON license_assignments
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER assignment_updated AFTER UPDATE ON license_assignments
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER assignment_deleted AFTER DELETE ON license_assignments
BEGIN INSERT INTO license_changes (license_id) VALUES (OLD.license_id); END;

CREATE TRIGGER license_user_updated AFTER UPDATE ON license_users
BEGIN
    INSERT INTO license_changes (license_id)
    SELECT license_id FROM license_assignments WHERE license_user_id = NEW.id;
END;
CREATE TRIGGER customer_updated AFTER UPDATE ON customers
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE customer_id = NEW.id; END;
CREATE TRIGGER product_updated AFTER UPDATE ON products
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE product_id = NEW.id; END;
CREATE TRIGGER product_feature_updated AFTER UPDATE ON product_features
BEGIN
    INSERT INTO license_changes (license_id)
    SELECT license_id FROM license_features WHERE product_feature_id = NEW.id;
END;
