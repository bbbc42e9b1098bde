//! Dashboard staff: accounts of one company with a role, argon2id passwords, an optional second
//! factor (TOTP, RFC 6238: six digits every 30 seconds, as authenticator apps make them), and
//! sessions kept in the database (only a SHA-256 of each session's secret), so every node honours
//! and revokes them alike.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{DateTime, Duration, Utc};
use latch_store::{
    NewStaff, Staff, StaffChange, StaffCredentials, StaffRole, StaffSession, StoreError,
};
use secrecy::{ExposeSecret, SecretString};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::customers::parse_email;
use crate::keys::generate_shared_key;
use crate::management::management_key_hash;
use crate::passwords::{self, MIN_PASSWORD_CHARS};
use crate::{Service, ServiceError, ServiceResult, Tenant};

/// How long a dashboard session lasts after signing in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// A new session: the secret for the cookie (shown once, stored only hashed) and its end.
#[derive(Debug)]
pub struct StartedSession {
    pub secret: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// The stored form of a session secret. Secrets carry 256 random bits, so a fast hash is safe and
/// each request finds its session by one indexed equality.
fn session_hash(secret: &str) -> String {
    management_key_hash(secret)
}

/// A new second-factor secret for `email`: base32, and as the `otpauth://` link authenticator apps
/// read (from a QR code or pasted).
#[derive(Debug)]
pub struct TotpSetup {
    pub secret: String,
    pub link: String,
}

impl TotpSetup {
    pub fn new(email: &str) -> ServiceResult<Self> {
        // 160 bits, RFC 4226's recommended length.
        let mut bytes = [0u8; 20];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| ServiceError::Random)?;
        let Secret::Encoded(secret) = Secret::Raw(bytes.to_vec()).to_encoded() else {
            return Err(ServiceError::Random);
        };
        let link = format!(
            "otpauth://totp/Latch:{}?secret={secret}&issuer=Latch&algorithm=SHA1&digits=6&period=30",
            email.replace('@', "%40")
        );
        Ok(Self { secret, link })
    }
}

/// Whether `code` is the current code of the base32 `secret` (or the one just before or after, for
/// clocks a little apart).
pub fn totp_code_matches(secret: &str, code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Secret::Encoded(secret.to_owned())
        .to_bytes()
        .ok()
        .and_then(|bytes| TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok())
        .and_then(|totp| totp.check_current(&code).ok())
        .unwrap_or(false)
}

impl Service {
    /// The staff account with this e-mail, in any company, with what signing in checks.
    pub async fn staff_for_sign_in(&self, email: &str) -> ServiceResult<Option<StaffCredentials>> {
        Ok(match parse_email("email", email) {
            Ok(email) => self.store.staff_by_email(email.as_str()).await?,
            Err(_) => None,
        })
    }

    /// Starts a session for a staff member whose password was verified.
    pub async fn start_staff_session(&self, staff: &Staff) -> ServiceResult<StartedSession> {
        let secret = generate_shared_key()?;
        let now = Utc::now();
        let expires_at = now + SESSION_LIFETIME;
        self.store
            .insert_staff_session(staff.id, &session_hash(&secret), now, expires_at)
            .await?;
        Ok(StartedSession {
            secret: secret.into(),
            expires_at,
        })
    }

    /// The live session a cookie's secret names, if any.
    pub async fn staff_session(&self, secret: &str) -> ServiceResult<Option<StaffSession>> {
        Ok(self
            .store
            .staff_session(&session_hash(secret), Utc::now())
            .await?)
    }

    /// Signs a session out.
    pub async fn end_staff_session(&self, secret: &SecretString) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_staff_session(&session_hash(secret.expose_secret()))
            .await?)
    }
}

impl Tenant<'_> {
    /// Creates a staff account of this company.
    pub async fn add_staff(
        &self,
        email: &str,
        password: &str,
        role: StaffRole,
    ) -> ServiceResult<Staff> {
        let email = parse_email("email", email)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ServiceError::invalid(
                "password",
                format!("must have at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        let password_hash = passwords::hash_off_runtime(password.to_owned()).await?;
        let staff = NewStaff {
            company_id: self.company_id(),
            email: email.as_str(),
            password_hash: &password_hash,
            role,
        };
        self.store
            .insert_staff(staff, &self.actor, Utc::now())
            .await
            .map_err(|error| match error {
                StoreError::Duplicate(_) => ServiceError::invalid(
                    "email",
                    "a staff member with this e-mail exists (in this or another company)",
                ),
                other => other.into(),
            })
    }

    /// The company's staff, oldest first.
    pub async fn staff_members(&self) -> ServiceResult<Vec<Staff>> {
        Ok(self.store.staff_members(self.company_id()).await?)
    }

    /// The company's member with this e-mail.
    async fn staff_member(&self, email: &str) -> ServiceResult<Staff> {
        let email = parse_email("email", email)?;
        self.store
            .staff_by_email(email.as_str())
            .await?
            .map(|credentials| credentials.staff)
            .filter(|staff| staff.company_id == self.company_id())
            .ok_or_else(|| ServiceError::NotFound(format!("staff member {}", email.as_str())))
    }

    /// Signs the company's staff member out everywhere; returns how many sessions ended.
    pub async fn revoke_staff_sessions(&self, email: &str) -> ServiceResult<u64> {
        let staff = self.staff_member(email).await?;
        Ok(self
            .store
            .delete_staff_sessions(self.company_id(), staff.id)
            .await?)
    }

    /// Gives the company's member `role`, from their next request on (sessions read the role
    /// afresh); refused for the company's last admin.
    pub async fn set_staff_role(&self, email: &str, role: StaffRole) -> ServiceResult<Staff> {
        let staff = self.staff_member(email).await?;
        let change = self
            .store
            .set_staff_role(self.company_id(), staff.id, role, &self.actor, Utc::now())
            .await?;
        unless_last_admin(change, "role")
    }

    /// Removes the company's member and ends their sessions at once; refused for the company's last
    /// admin. Returns the member as they were.
    pub async fn remove_staff(&self, email: &str) -> ServiceResult<Staff> {
        let staff = self.staff_member(email).await?;
        let change = self
            .store
            .delete_staff(self.company_id(), staff.id, &self.actor, Utc::now())
            .await?;
        unless_last_admin(change, "email")
    }

    /// Turns the member's second factor on with `secret` once `code` proves an authenticator app
    /// holds it (`None`: the operator hands the secret over and vouches for it), or off (`secret`
    /// `None`, for a member who lost the device).
    pub async fn set_staff_totp(
        &self,
        email: &str,
        secret: Option<&str>,
        code: Option<&str>,
    ) -> ServiceResult<Staff> {
        let staff = self.staff_member(email).await?;
        if let (Some(secret), Some(code)) = (secret, code) {
            if !totp_code_matches(secret, code) {
                return Err(ServiceError::invalid(
                    "code",
                    "is not the authenticator app's current code",
                ));
            }
        }
        self.store
            .set_staff_totp(self.company_id(), staff.id, secret)
            .await?;
        Ok(Staff {
            two_factor: secret.is_some(),
            ..staff
        })
    }
}

/// The changed member, or the refusal (naming `field`) that keeps the company's last admin.
fn unless_last_admin(change: StaffChange, field: &'static str) -> ServiceResult<Staff> {
    match change {
        StaffChange::Done(staff) => Ok(staff),
        StaffChange::LastAdmin => Err(ServiceError::invalid(
            field,
            "this member is the company's last admin; make another member admin first",
        )),
    }
}
