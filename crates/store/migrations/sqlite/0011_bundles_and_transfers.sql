-- Bundles: a bundle product groups other products; a license of a bundle comes with one license per
-- included product (same key), each linked to the bundle's license.
ALTER TABLE products ADD COLUMN is_bundle BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE bundle_items (
    bundle_product_id INTEGER NOT NULL REFERENCES products(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    PRIMARY KEY (bundle_product_id, product_id)
);
CREATE INDEX bundle_items_product ON bundle_items (product_id);
ALTER TABLE licenses ADD COLUMN bundle_license_id INTEGER REFERENCES licenses(id);
CREATE INDEX licenses_bundle_license ON licenses (bundle_license_id);

-- Transfers follow LicenseSpring: a device deactivating itself gives its activation back
-- (`devices.released`, counted in `licenses.released_slots`), and another device taking it is a
-- transfer. Which deactivations happened before is unknown: existing licenses start with none.
ALTER TABLE licenses RENAME COLUMN devices_seen TO released_slots;
UPDATE licenses SET released_slots = 0;
ALTER TABLE devices ADD COLUMN released BOOLEAN NOT NULL DEFAULT FALSE;
