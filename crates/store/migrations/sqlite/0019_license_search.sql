-- The dashboard's license search at a million licenses: every filter, and the newest-first order of
-- a page, start from an index instead of reading and sorting the company's every license. An
-- index's entries follow the rowid after its columns, so equality on all of them lists newest first.
-- Key prefixes use licenses_by_key: text compares by bytes here.
CREATE INDEX licenses_by_company ON licenses (company_id);
CREATE INDEX licenses_by_product ON licenses (company_id, product_id);
CREATE INDEX licenses_by_enabled ON licenses (company_id, enabled);
CREATE INDEX licenses_by_validity ON licenses (company_id, validity_period);
CREATE INDEX customers_by_email ON customers (email);
CREATE INDEX license_users_by_email ON license_users (email);
CREATE INDEX devices_by_hardware_id ON devices (hardware_id);
