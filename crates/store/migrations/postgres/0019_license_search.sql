-- The dashboard's license search at a million licenses: every filter, and the newest-first order of
-- a page, start from an index instead of reading and sorting the company's every license. Prefixes
-- are ranges compared by bytes (COLLATE "C", whatever the database's collation), so their indexes
-- order the same way.
CREATE INDEX licenses_by_company ON licenses (company_id, id);
CREATE INDEX licenses_by_product ON licenses (company_id, product_id, id);
CREATE INDEX licenses_by_enabled ON licenses (company_id, enabled, id);
CREATE INDEX licenses_by_validity ON licenses (company_id, validity_period);
CREATE INDEX licenses_by_key_bytes ON licenses (company_id, license_key COLLATE "C");
CREATE INDEX customers_by_email_bytes ON customers (email COLLATE "C");
CREATE INDEX license_users_by_email ON license_users (email);
CREATE INDEX devices_by_hardware_id ON devices (hardware_id);
