//! The dashboard's license search at N licenses: every kind of search the licenses page offers, timed
//! through the same service call the page makes (one page of 25 and its count). The seeded database
//! first gets what the searches look for, once: a customer per license, a license user on every
//! tenth, and a disabled, an expired and a license without active devices in every hundred.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use latch_domain::CompanyId;
use latch_service::{LicenseSearch, LicenseStatus, MatchCount, Page, Service};

use crate::database::Database;
use crate::fixture::{self, Fixture};
use crate::seed::{Backend, Bulk};

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The seeded database's fixture (the LATCH_* environment must name the same database).
    #[arg(long)]
    fixture: PathBuf,
    /// Timed runs of each search, after one untimed run.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

const PAGE: Page = Page {
    limit: 25,
    offset: 0,
};

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(search(args))
}

async fn search(args: SearchArgs) -> anyhow::Result<()> {
    let fixture = Fixture::load(&args.fixture)?;
    let database = Database::from_environment()?;
    let company = CompanyId::new(fixture.company_id);
    add_searched_rows(&database, fixture.company_id).await?;
    let service = Service::new(database.open_store().await?);
    let tenant = service.tenant(company).await?;

    let middle = fixture.licenses / 2;
    let key = fixture::license_key(middle);
    let (_, hardware_id) = fixture::device(middle * fixture::DEVICES_PER_LICENSE);
    let text = |text: &str| LicenseSearch {
        text: text.to_owned(),
        ..LicenseSearch::default()
    };
    let found = tenant.search_licenses(&text(&key), PAGE).await?;
    let license = found
        .items
        .first()
        .with_context(|| format!("no license {key}: seed the database first"))?
        .license
        .id
        .get();
    let user_license = license - license % 10;
    let product = tenant
        .products(PAGE)
        .await?
        .items
        .first()
        .context("no product: seed the database first")?
        .id;
    let status = |status| LicenseSearch {
        status: Some(status),
        ..LicenseSearch::default()
    };
    let searches: Vec<(String, LicenseSearch)> = vec![
        ("no filter".into(), LicenseSearch::default()),
        (format!("key prefix `{}`", &key[..4]), text(&key[..4])),
        (format!("key prefix `{}`", &key[..12]), text(&key[..12])),
        (
            format!("key prefix, lower case `{}`", key[..12].to_lowercase()),
            text(&key[..12].to_lowercase()),
        ),
        ("whole key".into(), text(&key)),
        (
            "customer e-mail".into(),
            text(&format!("customer{license}@example.com")),
        ),
        (
            format!("customer e-mail prefix `customer{license}`"),
            text(&format!("customer{license}")),
        ),
        (
            "customer e-mail prefix `customer` (every customer)".into(),
            text("customer"),
        ),
        (
            "license user e-mail".into(),
            LicenseSearch {
                user: format!("user{user_license}@example.com"),
                ..LicenseSearch::default()
            },
        ),
        (
            "hardware id".into(),
            LicenseSearch {
                hardware_id: hardware_id.clone(),
                ..LicenseSearch::default()
            },
        ),
        (
            "product".into(),
            LicenseSearch {
                product: Some(product),
                ..LicenseSearch::default()
            },
        ),
        ("status enabled".into(), status(LicenseStatus::Enabled)),
        ("status disabled".into(), status(LicenseStatus::Disabled)),
        ("status expired".into(), status(LicenseStatus::Expired)),
        (
            "status with active devices".into(),
            status(LicenseStatus::Active),
        ),
        (
            "status without active devices".into(),
            status(LicenseStatus::Inactive),
        ),
    ];

    println!(
        "| {} N={} | matches | median ms | max ms |",
        fixture.backend, fixture.licenses
    );
    println!("|---|---|---|---|");
    for (name, search) in &searches {
        let found = tenant.search_licenses(search, PAGE).await?;
        let matches = match found.count {
            MatchCount::Exactly(count) => count.to_string(),
            MatchCount::MoreThan(count) => format!("> {count}"),
        };
        let mut times = Vec::with_capacity(args.runs);
        for _ in 0..args.runs {
            let started = Instant::now();
            tenant.search_licenses(search, PAGE).await?;
            times.push(started.elapsed());
        }
        times.sort();
        let millis = |time: Duration| time.as_secs_f64() * 1000.0;
        println!(
            "| {name} | {matches} | {:.1} | {:.1} |",
            millis(times[times.len() / 2]),
            millis(times[times.len() - 1])
        );
    }
    Ok(())
}

/// Gives the seeded licenses what the searches look for, unless an earlier run did.
async fn add_searched_rows(database: &Database, company_id: i64) -> anyhow::Result<()> {
    let mut bulk = Bulk::begin(Backend::of(database)?, database).await?;
    let customers = bulk
        .count(
            "SELECT COUNT(*) FROM customers WHERE company_id = $1",
            company_id,
        )
        .await?;
    if customers > 0 {
        return Ok(());
    }
    let started = Instant::now();
    let expired = chrono::Utc::now().timestamp_millis() - 86_400_000;
    for statement in [
        "INSERT INTO customers (company_id, email, created_at) \
         SELECT company_id, 'customer' || id || '@example.com', created_at FROM licenses \
         WHERE company_id = $1",
        "INSERT INTO license_users (company_id, email, password_hash, created_at) \
         SELECT company_id, 'user' || id || '@example.com', 'unusable', created_at FROM licenses \
         WHERE company_id = $1 AND id % 10 = 0",
        "INSERT INTO license_assignments (license_id, license_user_id) \
         SELECT l.id, u.id FROM licenses l JOIN license_users u ON u.company_id = l.company_id \
         AND u.email = 'user' || l.id || '@example.com' WHERE l.company_id = $1 AND l.id % 10 = 0",
        "UPDATE devices SET active = FALSE WHERE license_id % 100 = 3 \
         AND license_id IN (SELECT id FROM licenses WHERE company_id = $1)",
    ] {
        bulk.execute(statement, &[company_id]).await?;
    }
    bulk.execute(
        "UPDATE licenses SET customer_id = (SELECT c.id FROM customers c \
         WHERE c.company_id = licenses.company_id AND c.email = 'customer' || licenses.id || '@example.com'), \
         enabled = (id % 100 <> 1), \
         license_type = CASE WHEN id % 100 = 2 THEN 'time-limited' ELSE license_type END, \
         validity_period = CASE WHEN id % 100 = 2 THEN $2 ELSE validity_period END \
         WHERE company_id = $1",
        &[company_id, expired],
    )
    .await?;
    bulk.commit().await?;
    eprintln!(
        "added customers, license users, disabled, expired and inactive licenses in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
