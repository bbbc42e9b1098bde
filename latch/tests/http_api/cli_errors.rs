//! Vendor CLI failures: one `error:` line, and nothing created.

use crate::support::{Backend, Latch};

both_backends!(cli_errors);

async fn cli_errors(backend: Backend) {
    let latch = Latch::new(backend, "cli_errors").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "unknown company (product)",
            vec![
                "product",
                "create",
                "--company",
                "999999",
                "--code",
                "x",
                "--name",
                "x",
            ],
        ),
        (
            "unknown company (license)",
            vec![
                "license",
                "create",
                "--company",
                "999999",
                "--product",
                "app",
            ],
        ),
        (
            "unknown company (api key)",
            vec!["api-key", "create", "--company", "999999"],
        ),
        (
            "unknown company (public key)",
            vec!["company", "public-key", "--company", "999999"],
        ),
        (
            "duplicate product code",
            vec![
                "product",
                "create",
                "--company",
                &id,
                "--code",
                "app",
                "--name",
                "again",
            ],
        ),
        (
            "unknown product",
            vec!["license", "create", "--company", &id, "--product", "nope"],
        ),
        (
            "bad --valid-until",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--type",
                "time-limited",
                "--valid-until",
                "2030-13-45",
            ],
        ),
        (
            "bad --start-date",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--start-date",
                "tomorrow",
            ],
        ),
        (
            "negative max activations (=)",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--max-activations=-1",
            ],
        ),
        (
            "negative max activations",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--max-activations",
                "-1",
            ],
        ),
        (
            "time-limited without --valid-until",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--type",
                "time-limited",
            ],
        ),
        ("unknown license", vec!["license", "show", "NO-SUCH-KEY"]),
        (
            "revoke unknown API key",
            vec!["api-key", "revoke", "no-such-key"],
        ),
    ];
    // Every case is tried before failing, so one run reports them all.
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(what, args)| {
            latch
                .try_cli_error(args)
                .err()
                .map(|e| format!("{what}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "CLI errors:\n{}",
        failures.join("\n\n")
    );

    // The failed commands created nothing.
    let shown = latch.show_license(&company, &key);
    assert_eq!(shown["max_activations"], 1, "{shown}");
    let listed = latch.run(&["license", "show", &key]);
    assert!(listed.status.success());
}
