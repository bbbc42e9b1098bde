-- Every committed change to what a License API check reads is announced on the channel
-- `latch_license_changes` as "<schema>:<license id>", so each node can keep check answers in memory and
-- drop exactly those of licenses changed by anyone. Writes that a check only stores behind itself (last
-- check time, cached signatures) are not changes. NOTIFY is delivered at commit, in commit order.
CREATE FUNCTION latch_announce_license(license_id BIGINT) RETURNS void AS $$
BEGIN
    PERFORM pg_notify('latch_license_changes', current_schema() || ':' || license_id::text);
END
$$ LANGUAGE plpgsql;

-- Rows that name their license: licenses (id), devices, license features and assignments (license_id).
CREATE FUNCTION latch_row_changed() RETURNS trigger AS $$
DECLARE
    changed RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    IF TG_TABLE_NAME = 'licenses' THEN
        PERFORM latch_announce_license(changed.id);
    ELSE
        PERFORM latch_announce_license(changed.license_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Rows many licenses read: every license that shows them.
CREATE FUNCTION latch_shared_row_changed() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'license_users' THEN
        PERFORM latch_announce_license(license_id) FROM license_assignments WHERE license_user_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'customers' THEN
        PERFORM latch_announce_license(id) FROM licenses WHERE customer_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'products' THEN
        PERFORM latch_announce_license(id) FROM licenses WHERE product_id = NEW.id;
    ELSE
        PERFORM latch_announce_license(license_id) FROM license_features WHERE product_feature_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER license_changed AFTER UPDATE OR DELETE ON licenses
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER device_added_or_deleted AFTER INSERT OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER device_updated AFTER UPDATE OF license_id, license_user_id, hardware_id, active, blacklisted,
    is_vm, vm_info, os_ver, hostname, ip, mac_address, app_ver, sdk_ver, floating_until, borrowed_until ON devices
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER license_feature_changed AFTER INSERT OR UPDATE OR DELETE ON license_features
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER assignment_changed AFTER INSERT OR UPDATE OR DELETE ON license_assignments
    FOR EACH ROW EXECUTE FUNCTION latch_row_changed();
CREATE TRIGGER license_user_changed AFTER UPDATE ON license_users
    FOR EACH ROW EXECUTE FUNCTION latch_shared_row_changed();
CREATE TRIGGER customer_changed AFTER UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION latch_shared_row_changed();
CREATE TRIGGER product_changed AFTER UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION latch_shared_row_changed();
CREATE TRIGGER product_feature_changed AFTER UPDATE ON product_features
    FOR EACH ROW EXECUTE FUNCTION latch_shared_row_changed();
