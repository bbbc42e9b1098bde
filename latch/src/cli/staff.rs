//! `latch staff ...`: dashboard accounts of a company.

use clap::Subcommand;
use latch_service::model::{Staff, StaffRole};
use latch_service::staff::TotpSetup;
use latch_service::{Service, ServiceResult};
use serde_json::{json, Value};

use super::CompanyArg;

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a dashboard account of the company.
    Add {
        #[command(flatten)]
        company: CompanyArg,
        /// The address the member signs in with; one account per address across companies.
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long)]
        password: String,
        /// viewer reads; support also resets, disables, blacklists and releases; admin also issues
        /// licenses and manages products, keys and staff.
        #[arg(long, default_value = "viewer", value_parser = ["admin", "support", "viewer"])]
        role: String,
    },
    /// List the company's dashboard accounts.
    List(CompanyArg),
    /// Turn a member's second factor (an authenticator app's code at sign-in) on or off. Prints the
    /// secret and the `otpauth://` link for the app once.
    Totp {
        #[command(flatten)]
        company: CompanyArg,
        #[arg(long)]
        email: String,
        /// Turn it off (a member who lost the device).
        #[arg(long)]
        off: bool,
    },
    /// Give a member another role; it applies from their next request. The company's last admin
    /// keeps the role.
    SetRole {
        #[command(flatten)]
        company: CompanyArg,
        /// The member's address.
        #[arg(long)]
        email: String,
        /// The new role; what each may do: `latch staff add --help`.
        #[arg(long, value_parser = ["admin", "support", "viewer"])]
        role: String,
    },
    /// Remove a member's dashboard account and end their sessions at once. The company's last
    /// admin cannot be removed.
    Remove {
        #[command(flatten)]
        company: CompanyArg,
        /// The member's address.
        #[arg(long)]
        email: String,
    },
    /// Sign a member out of every dashboard session.
    RevokeSessions {
        #[command(flatten)]
        company: CompanyArg,
        #[arg(long)]
        email: String,
    },
}

pub async fn staff(service: &Service, command: StaffCommand) -> ServiceResult<Value> {
    match command {
        StaffCommand::Add {
            company,
            email,
            password,
            role,
        } => {
            let role = known_role(&role);
            let staff = service
                .tenant(company.id())
                .await?
                .add_staff(&email, &password, role)
                .await?;
            Ok(staff_json(&staff))
        }
        StaffCommand::List(company) => {
            let members = service.tenant(company.id()).await?.staff_members().await?;
            let listed: Vec<Value> = members.iter().map(staff_json).collect();
            Ok(json!({"company_id": company.company, "staff": listed}))
        }
        StaffCommand::Totp {
            company,
            email,
            off,
        } => {
            let tenant = service.tenant(company.id()).await?;
            if off {
                let staff = tenant.set_staff_totp(&email, None, None).await?;
                return Ok(staff_json(&staff));
            }
            let setup = TotpSetup::new(&email.trim().to_lowercase())?;
            let staff = tenant
                .set_staff_totp(&email, Some(&setup.secret), None)
                .await?;
            let mut shown = staff_json(&staff);
            shown["totp_secret"] = setup.secret.into();
            shown["totp_link"] = setup.link.into();
            Ok(shown)
        }
        StaffCommand::SetRole {
            company,
            email,
            role,
        } => {
            let staff = service
                .tenant(company.id())
                .await?
                .set_staff_role(&email, known_role(&role))
                .await?;
            Ok(staff_json(&staff))
        }
        StaffCommand::Remove { company, email } => {
            let removed = service
                .tenant(company.id())
                .await?
                .remove_staff(&email)
                .await?;
            Ok(json!({"removed": staff_json(&removed)}))
        }
        StaffCommand::RevokeSessions { company, email } => {
            let ended = service
                .tenant(company.id())
                .await?
                .revoke_staff_sessions(&email)
                .await?;
            Ok(json!({"email": email.trim().to_lowercase(), "sessions_ended": ended}))
        }
    }
}

/// A `--role` value; clap allows only the names StaffRole knows.
fn known_role(role: &str) -> StaffRole {
    role.parse().unwrap_or(StaffRole::Viewer)
}

fn staff_json(staff: &Staff) -> Value {
    json!({
        "id": staff.id,
        "company_id": staff.company_id.get(),
        "email": staff.email,
        "role": staff.role.as_str(),
        "two_factor": staff.two_factor,
        "created_at": staff.created_at,
    })
}
