-- Orders as a vendor's store creates them: `store_id` is the store's own order id, unique per company,
-- which makes creating an order idempotent.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    store_id TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id),
    order_type TEXT NOT NULL DEFAULT 'normal',
    is_test BOOLEAN NOT NULL DEFAULT FALSE,
    is_trial BOOLEAN NOT NULL DEFAULT FALSE,
    download_id TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    campaign_params TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, store_id)
);
CREATE INDEX orders_by_customer ON orders (customer_id);

ALTER TABLE licenses ADD COLUMN order_id INTEGER REFERENCES orders(id);
ALTER TABLE licenses ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX licenses_by_order ON licenses (order_id);

-- Custom fields: a product defines them with a default; a license may override the value.
CREATE TABLE product_custom_fields (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    name TEXT NOT NULL,
    data_type TEXT,                       -- number | text | date/time, or NULL
    default_value TEXT NOT NULL DEFAULT '',
    description TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, name)
);

CREATE TABLE license_custom_fields (
    id INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses(id),
    product_custom_field_id INTEGER NOT NULL REFERENCES product_custom_fields(id),
    value TEXT NOT NULL,
    UNIQUE (license_id, product_custom_field_id)
);

-- Check answers show custom fields and the order's store id: their changes are license changes.
CREATE TRIGGER license_custom_field_added AFTER INSERT ON license_custom_fields
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER license_custom_field_updated AFTER UPDATE ON license_custom_fields
BEGIN INSERT INTO license_changes (license_id) VALUES (NEW.license_id); END;
CREATE TRIGGER license_custom_field_deleted AFTER DELETE ON license_custom_fields
BEGIN INSERT INTO license_changes (license_id) VALUES (OLD.license_id); END;

CREATE TRIGGER product_custom_field_added AFTER INSERT ON product_custom_fields
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE product_id = NEW.product_id; END;
CREATE TRIGGER product_custom_field_updated AFTER UPDATE ON product_custom_fields
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE product_id = NEW.product_id; END;
CREATE TRIGGER product_custom_field_deleted AFTER DELETE ON product_custom_fields
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE product_id = OLD.product_id; END;

CREATE TRIGGER order_updated AFTER UPDATE ON orders
BEGIN INSERT INTO license_changes (license_id) SELECT id FROM licenses WHERE order_id = NEW.id; END;
