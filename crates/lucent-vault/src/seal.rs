//! Sealing: AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per seal and caller-chosen
//! associated data. A sealed value is `nonce (12) ‖ ciphertext ‖ tag (16)`; it opens only with
//! the key and associated data it was sealed with, and only unaltered.

use crate::error::{Unopenable, VaultError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

/// Bytes of the nonce that starts a sealed value.
pub const NONCE_LEN: usize = 12;
/// Bytes of the authentication tag that ends it.
pub const TAG_LEN: usize = 16;

/// Seals `plaintext` under `key`, bound to `aad` (authenticated, not stored).
pub fn seal(
    key: &[u8; crate::KEY_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
    seal_with_nonce(key, &nonce, aad, plaintext)
}

fn seal_with_nonce(
    key: &[u8; crate::KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|e| VaultError::Seal(e.to_string()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(nonce);
    out.extend(ciphertext);
    Ok(out)
}

/// Opens what [`seal`] sealed with this `key` and `aad`; [`Unopenable`] for another key, other
/// associated data, or any altered, missing or added byte.
pub fn open(key: &[u8; crate::KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Unopenable> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(Unopenable);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| Unopenable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    /// The GCM specification's test case 14 (McGrew and Viega; also in NIST's GCM vectors):
    /// K = 0^256, IV = 0^96, P = 0^128, no associated data.
    #[test]
    fn matches_the_gcm_specification_test_case_14() {
        let sealed = seal_with_nonce(&[0; 32], &[0; 12], b"", &[0; 16]).unwrap();
        assert_eq!(
            hex(&sealed),
            format!(
                "{}{}{}",
                "000000000000000000000000",
                "cea7403d4d606b6e074ec5d3baf39d18",
                "d0d1c8a799996bf0265b98b5d48ab919"
            )
        );
        assert_eq!(open(&[0; 32], b"", &sealed).unwrap(), vec![0; 16]);
    }

    #[test]
    fn a_short_value_does_not_open() {
        assert_eq!(
            open(&[1; 32], b"", &[0; NONCE_LEN + TAG_LEN - 1]),
            Err(Unopenable)
        );
    }
}
