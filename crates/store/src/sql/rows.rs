//! Row decoding shared by every query: each `*_from_row` reads the aliased columns of one table, and
//! returns `None` where a LEFT JOIN found nothing.

macro_rules! sql_rows {
    ($row:ty) => {
        use sqlx::Row as _;

        fn opt_time(row: &$row, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
        }

        fn time(row: &$row, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
            Ok(from_millis(row.try_get(column)?))
        }

        fn decode_error(message: String) -> sqlx::Error {
            sqlx::Error::Decode(message.into())
        }

        fn product_from_row(row: &$row) -> Result<Product, sqlx::Error> {
            let method: String = row.try_get("p_authorization_method")?;
            Ok(Product {
                id: row.try_get("p_id")?,
                company_id: row.try_get("p_company_id")?,
                code: row.try_get("p_code")?,
                name: row.try_get("p_name")?,
                authorization_method: AuthorizationMethod::parse(&method)
                    .ok_or_else(|| decode_error(format!("authorization method {method:?}")))?,
                prevent_vm: row.try_get("p_prevent_vm")?,
                allow_trial: row.try_get("p_allow_trial")?,
                trial_days: row.try_get("p_trial_days")?,
                floating_timeout: row.try_get("p_floating_timeout")?,
                metadata: row.try_get("p_metadata")?,
            })
        }

        fn period(
            row: &$row,
            column: &str,
        ) -> Result<Option<latch_domain::ConsumptionPeriod>, sqlx::Error> {
            row.try_get::<Option<String>, _>(column)?
                .map(|text| {
                    text.parse()
                        .map_err(|e: latch_domain::ParsePeriodError| decode_error(e.to_string()))
                })
                .transpose()
        }

        fn license_from_row(row: &$row) -> Result<Option<License>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("l_id")? else {
                return Ok(None);
            };
            let license_type: String = row.try_get("l_license_type")?;
            Ok(Some(License {
                id,
                company_id: row.try_get("l_company_id")?,
                product_id: row.try_get("l_product_id")?,
                customer_id: row.try_get("l_customer_id")?,
                license_key: row.try_get("l_license_key")?,
                license_type: license_type.parse().map_err(
                    |e: latch_domain::ParseLicenseTypeError| decode_error(e.to_string()),
                )?,
                enabled: row.try_get("l_enabled")?,
                is_trial: row.try_get("l_is_trial")?,
                prevent_vm: row.try_get("l_prevent_vm")?,
                start_date: opt_time(row, "l_start_date")?,
                validity_period: opt_time(row, "l_validity_period")?,
                grace_period: row.try_get("l_grace_period")?,
                allow_grace_period: row.try_get("l_allow_grace_period")?,
                maintenance_period: opt_time(row, "l_maintenance_period")?,
                max_activations: row.try_get("l_max_activations")?,
                allow_unlimited_activations: row.try_get("l_allow_unlimited_activations")?,
                times_activated: row.try_get("l_times_activated")?,
                devices_seen: row.try_get("l_devices_seen")?,
                transfer_count: row.try_get("l_transfer_count")?,
                max_transfers: row.try_get("l_max_transfers")?,
                max_license_users: row.try_get("l_max_license_users")?,
                floating: FloatingColumns {
                    is_floating_cloud: row.try_get("l_is_floating_cloud")?,
                    floating_users: row.try_get("l_floating_users")?,
                    floating_timeout: row.try_get("l_floating_timeout")?,
                    can_borrow: row.try_get("l_can_borrow")?,
                    max_borrow_time: row.try_get("l_max_borrow_time")?,
                },
                consumption: ConsumptionColumns {
                    max_consumptions: row.try_get("l_max_consumptions")?,
                    total_consumptions: row.try_get("l_total_consumptions")?,
                    allow_unlimited_consumptions: row.try_get("l_allow_unlimited_consumptions")?,
                    allow_negative_consumptions: row.try_get("l_allow_negative_consumptions")?,
                    allow_overages: row.try_get("l_allow_overages")?,
                    max_overages: row.try_get("l_max_overages")?,
                    reset_consumption: row.try_get("l_reset_consumption")?,
                    consumption_period: period(row, "l_consumption_period")?,
                    consumption_reset_at: opt_time(row, "l_consumption_reset_at")?,
                },
                metadata: row.try_get("l_metadata")?,
                created_at: time(row, "l_created_at")?,
            }))
        }

        fn device_from_row(row: &$row) -> Result<Option<Device>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("d_id")? else {
                return Ok(None);
            };
            Ok(Some(Device {
                id,
                license_id: row.try_get("d_license_id")?,
                license_user_id: row.try_get("d_license_user_id")?,
                hardware_id: row.try_get("d_hardware_id")?,
                active: row.try_get("d_active")?,
                blacklisted: row.try_get("d_blacklisted")?,
                is_vm: row.try_get("d_is_vm")?,
                os_ver: row.try_get("d_os_ver")?,
                hostname: row.try_get("d_hostname")?,
                floating_until: opt_time(row, "d_floating_until")?,
                borrowed_until: opt_time(row, "d_borrowed_until")?,
                license_signature: row.try_get("d_license_signature")?,
                signature_validity: opt_time(row, "d_signature_validity")?,
                answer_digest: row.try_get("d_answer_digest")?,
                answer_signature: row.try_get("d_answer_signature")?,
                created_at: time(row, "d_created_at")?,
                last_check_at: opt_time(row, "d_last_check_at")?,
            }))
        }

        /// The user row; its sealed initial password is opened by the caller.
        fn user_from_row(row: &$row) -> Result<Option<(LicenseUser, Option<String>)>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("u_id")? else {
                return Ok(None);
            };
            let user = LicenseUser {
                id,
                company_id: row.try_get("u_company_id")?,
                customer_id: row.try_get("u_customer_id")?,
                email: row.try_get("u_email")?,
                password_hash: row.try_get("u_password_hash")?,
                initial_password: None,
                is_initial_password: row.try_get("u_is_initial_password")?,
                first_name: row.try_get("u_first_name")?,
                last_name: row.try_get("u_last_name")?,
                phone_number: row.try_get("u_phone_number")?,
            };
            Ok(Some((user, row.try_get("u_initial_password")?)))
        }

        fn assignment_from_row(row: &$row) -> Result<Option<Assignment>, sqlx::Error> {
            let Some(license_id) = row.try_get::<Option<i64>, _>("a_license_id")? else {
                return Ok(None);
            };
            Ok(Some(Assignment {
                license_id,
                license_user_id: row.try_get("a_license_user_id")?,
                max_activations: row.try_get("a_max_activations")?,
                allow_unlimited_activations: row.try_get("a_allow_unlimited_activations")?,
                total_activations: row.try_get("a_total_activations")?,
            }))
        }

        fn customer_from_row(row: &$row) -> Result<Option<Customer>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("c_id")? else {
                return Ok(None);
            };
            Ok(Some(Customer {
                id,
                company_id: row.try_get("c_company_id")?,
                email: row.try_get("c_email")?,
                first_name: row.try_get("c_first_name")?,
                last_name: row.try_get("c_last_name")?,
                company_name: row.try_get("c_company_name")?,
                phone: row.try_get("c_phone")?,
                reference: row.try_get("c_reference")?,
                address: row.try_get("c_address")?,
                city: row.try_get("c_city")?,
                postcode: row.try_get("c_postcode")?,
                state: row.try_get("c_state")?,
                country: row.try_get("c_country")?,
                metadata: row.try_get("c_metadata")?,
            }))
        }

        fn product_feature_from_row(row: &$row) -> Result<ProductFeature, sqlx::Error> {
            let feature_type: String = row.try_get("pf_feature_type")?;
            Ok(ProductFeature {
                id: row.try_get("pf_id")?,
                product_id: row.try_get("pf_product_id")?,
                code: row.try_get("pf_code")?,
                name: row.try_get("pf_name")?,
                feature_type: FeatureType::parse(&feature_type)
                    .ok_or_else(|| decode_error(format!("feature type {feature_type:?}")))?,
                metadata: row.try_get("pf_metadata")?,
            })
        }

        fn feature_from_row(row: &$row) -> Result<Option<LicenseFeature>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("lf_id")? else {
                return Ok(None);
            };
            Ok(Some(LicenseFeature {
                id,
                license_id: row.try_get("lf_license_id")?,
                feature: product_feature_from_row(row)?,
                expiry_date: opt_time(row, "lf_expiry_date")?,
                floating: FloatingColumns {
                    is_floating_cloud: row.try_get("lf_is_floating_cloud")?,
                    floating_users: row.try_get("lf_floating_users")?,
                    floating_timeout: row.try_get("lf_floating_timeout")?,
                    can_borrow: row.try_get::<i64, _>("lf_max_borrow_time")? > 0,
                    max_borrow_time: row.try_get("lf_max_borrow_time")?,
                },
                consumption: ConsumptionColumns {
                    max_consumptions: row.try_get("lf_max_consumption")?,
                    total_consumptions: row.try_get("lf_total_consumptions")?,
                    allow_unlimited_consumptions: row.try_get("lf_allow_unlimited_consumptions")?,
                    allow_negative_consumptions: row.try_get("lf_allow_negative_consumptions")?,
                    allow_overages: row.try_get("lf_allow_overages")?,
                    max_overages: row.try_get("lf_max_overages")?,
                    reset_consumption: row.try_get("lf_reset_consumption")?,
                    consumption_period: period(row, "lf_consumption_period")?,
                    consumption_reset_at: opt_time(row, "lf_consumption_reset_at")?,
                },
                created_at: time(row, "pf_created_at")?,
            }))
        }

        fn variable_from_row(row: &$row) -> Result<DeviceVariable, sqlx::Error> {
            Ok(DeviceVariable {
                id: row.try_get("id")?,
                device_id: row.try_get("device_id")?,
                name: row.try_get("name")?,
                value: row.try_get("value")?,
                created_at: time(row, "created_at")?,
            })
        }

        fn release_from_row(row: &$row) -> Result<Release, sqlx::Error> {
            Ok(Release {
                id: row.try_get("id")?,
                product_id: row.try_get("product_id")?,
                version: row.try_get("version")?,
                channel: row.try_get("channel")?,
                environment: row.try_get("environment")?,
                installation_file: row.try_get("installation_file")?,
                hash_md5: row.try_get("hash_md5")?,
                size: row.try_get("size")?,
                eula_link: row.try_get("eula_link")?,
                release_notes_link: row.try_get("release_notes_link")?,
                requires_version: row.try_get("requires_version")?,
                release_date: opt_time(row, "release_date")?,
                enabled: row.try_get("enabled")?,
                created_at: time(row, "created_at")?,
            })
        }

        /// Decodes every row with `decode`, dropping the `None`s of unmatched LEFT JOINs.
        fn collect_rows<T>(
            rows: &[$row],
            decode: impl Fn(&$row) -> Result<Option<T>, sqlx::Error>,
        ) -> Result<Vec<T>, sqlx::Error> {
            rows.iter()
                .map(decode)
                .filter_map(Result::transpose)
                .collect()
        }

        /// Maps a unique-constraint violation to a domain-level duplicate.
        fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
            match &error {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Duplicate(what)
                }
                _ => StoreError::Database(error),
            }
        }
    };
}

pub(crate) use sql_rows;
