//! `latch oauth-client ...`: the OAuth clients apps use instead of an API key and shared key.

use clap::Subcommand;
use latch_service::model::OAuthClient;
use latch_service::{Service, ServiceResult};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::CompanyArg;

#[derive(Debug, Subcommand)]
pub enum OAuthClientCommand {
    /// Create an OAuth client id and secret (the secret is shown only now).
    Create(CompanyArg),
    /// List a company's OAuth clients (without their secrets).
    List(CompanyArg),
    /// Revoke an OAuth client: its tokens stop working and it gets no new ones.
    Revoke {
        #[arg(value_name = "CLIENT_ID")]
        client_id: String,
    },
}

pub async fn oauth_client(service: &Service, command: OAuthClientCommand) -> ServiceResult<Value> {
    match command {
        OAuthClientCommand::Create(company) => {
            let client = service
                .tenant(company.id())
                .await?
                .create_oauth_client()
                .await?;
            let mut shown = oauth_client_json(&client);
            shown["client_secret"] = client.client_secret.expose_secret().into();
            Ok(shown)
        }
        OAuthClientCommand::List(company) => {
            let clients = service.tenant(company.id()).await?.oauth_clients().await?;
            let listed: Vec<Value> = clients.iter().map(oauth_client_json).collect();
            Ok(json!({"company_id": company.company, "oauth_clients": listed}))
        }
        OAuthClientCommand::Revoke { client_id } => {
            let revoked = service.revoke_oauth_client(&client_id).await?;
            Ok(oauth_client_json(&revoked))
        }
    }
}

/// An OAuth client as listed: the secret is shown only when created.
fn oauth_client_json(client: &OAuthClient) -> Value {
    json!({
        "client_id": client.client_id,
        "company_id": client.company_id,
        "revoked": client.revoked,
        "created_at": client.created_at,
    })
}
