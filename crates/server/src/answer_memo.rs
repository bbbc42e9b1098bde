//! The bytes of recent check answers, by device, reused while the answer is the same.
//!
//! A check builds its answer from the cached read on every request (time-dependent fields included),
//! and only then asks the memo: the stored bytes are used when the new answer equals the one they
//! were made from, field by field. So the memo can never serve a changed answer; it saves serializing
//! it and hashing it for the signature lookup (about a tenth of a repeated check's CPU, measured).

use std::sync::Arc;

use axum::body::Bytes;
use latch_domain::DeviceId;
use latch_wire::body::to_json;
use quick_cache::sync::Cache;
use serde::Serialize;

use crate::auth::answer_digest;

/// Devices whose last answer is kept: those checking again within minutes. About 4 KB each (a 2 KB
/// answer and the fields it was made from).
const ANSWER_MEMO_ENTRIES: usize = 4_096;

/// An answer with its JSON bytes and their digest.
pub struct MemoizedAnswer<T> {
    body: T,
    pub bytes: Bytes,
    pub digest: String,
}

pub struct AnswerMemo<T> {
    answers: Cache<DeviceId, Arc<MemoizedAnswer<T>>>,
}

impl<T> Default for AnswerMemo<T> {
    fn default() -> Self {
        Self {
            answers: Cache::new(ANSWER_MEMO_ENTRIES),
        }
    }
}

impl<T: PartialEq + Serialize> AnswerMemo<T> {
    /// `body` as bytes: the device's last ones when they were made from an equal answer, else new.
    pub fn answer(&self, device_id: DeviceId, body: T) -> Arc<MemoizedAnswer<T>> {
        if let Some(kept) = self.answers.get(&device_id) {
            if kept.body == body {
                return kept;
            }
        }
        let bytes = Bytes::from(to_json(&body));
        let made = Arc::new(MemoizedAnswer {
            digest: answer_digest(&bytes),
            bytes,
            body,
        });
        self.answers.insert(device_id, made.clone());
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize)]
    struct Answer {
        validity: &'static str,
        expired: bool,
    }

    const RENEWED: Answer = answer("2099-01-01", false);

    const fn answer(validity: &'static str, expired: bool) -> Answer {
        Answer { validity, expired }
    }

    #[test]
    fn an_equal_answer_reuses_the_bytes_and_a_different_one_replaces_them() {
        let memo = AnswerMemo::default();
        let device = DeviceId::new(7);
        let first = memo.answer(device, answer("2030-01-01", false));
        assert_eq!(
            &first.bytes[..],
            br#"{"validity":"2030-01-01","expired":false}"#
        );
        assert_eq!(first.digest, answer_digest(&first.bytes));
        let again = memo.answer(device, answer("2030-01-01", false));
        assert!(Arc::ptr_eq(&first, &again));

        // Any field that differs, a time-dependent one included, makes new bytes.
        let expired = memo.answer(device, answer("2030-01-01", true));
        assert_eq!(
            &expired.bytes[..],
            br#"{"validity":"2030-01-01","expired":true}"#
        );
        let renewed = memo.answer(device, RENEWED);
        assert_eq!(
            &renewed.bytes[..],
            br#"{"validity":"2099-01-01","expired":false}"#
        );
        assert_eq!(renewed.digest, answer_digest(&renewed.bytes));
        assert_ne!(renewed.digest, first.digest);
    }

    #[test]
    fn devices_keep_their_own_answers() {
        let memo = AnswerMemo::default();
        let one = memo.answer(DeviceId::new(1), RENEWED);
        let other = memo.answer(DeviceId::new(2), RENEWED);
        assert!(!Arc::ptr_eq(&one, &other));
        assert_eq!(one.bytes, other.bytes);
        assert!(Arc::ptr_eq(&memo.answer(DeviceId::new(1), RENEWED), &one));
    }
}
