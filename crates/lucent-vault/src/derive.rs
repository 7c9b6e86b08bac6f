//! Key derivation: HKDF-SHA256 (RFC 5869), so that one secret in the keychain gives separate
//! keys for separate purposes (a key for MACs never doubles as a sealing key).

use hkdf::Hkdf;
use sha2::Sha256;

/// The 256-bit key for `info` derived from `secret` with `salt`: HKDF-Extract(salt, secret)
/// then HKDF-Expand(info, 32 bytes) (RFC 5869 2.2, 2.3). The same inputs always give the same
/// key; a different salt, info or secret gives an unrelated one.
pub fn derive(secret: &[u8], salt: &[u8], info: &[u8]) -> [u8; crate::KEY_LEN] {
    let hk = Hkdf::<Sha256>::new(Some(salt), secret);
    let mut okm = [0u8; crate::KEY_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
    let _ = hk.expand(info, &mut okm);
    okm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    /// RFC 5869 Appendix A.1 (test case 1): the first 32 bytes of its 42-byte OKM.
    #[test]
    fn matches_rfc_5869_test_case_1() {
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        assert_eq!(
            hex(&derive(&ikm, &salt, &info)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        );
    }

    #[test]
    fn each_input_separates_the_keys() {
        let base = derive(&[7; 32], b"salt", b"info");
        assert_eq!(base, derive(&[7; 32], b"salt", b"info"), "stable");
        assert_ne!(base, derive(&[8; 32], b"salt", b"info"), "secret");
        assert_ne!(base, derive(&[7; 32], b"salt2", b"info"), "salt");
        assert_ne!(base, derive(&[7; 32], b"salt", b"info2"), "info");
    }
}
