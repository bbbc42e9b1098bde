-- What vendors manage through the Management API: archived products, and the default limits of a
-- product feature (a license's copy of the feature keeps its own). Existing rows keep today's behaviour:
-- nothing archived, no limits.
ALTER TABLE products ADD COLUMN is_archived BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE products ADD COLUMN updated_at INTEGER;

ALTER TABLE product_features ADD COLUMN max_consumption INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product_features ADD COLUMN allow_unlimited_consumptions BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE product_features ADD COLUMN allow_overages BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE product_features ADD COLUMN max_overages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product_features ADD COLUMN reset_consumption BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE product_features ADD COLUMN consumption_period TEXT;
ALTER TABLE product_features ADD COLUMN is_floating BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE product_features ADD COLUMN is_floating_cloud BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE product_features ADD COLUMN floating_users INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product_features ADD COLUMN floating_timeout INTEGER NOT NULL DEFAULT 0;   -- minutes
ALTER TABLE product_features ADD COLUMN updated_at INTEGER;
