//! The vault against the real OS keychain (run under `scripts/with-keyring.sh`, as the README's
//! test command does) and its sealing: round trips, tampering, wrong keys, namespacing.

use lucent_vault::seal::{NONCE_LEN, TAG_LEN};
use lucent_vault::{Keychain, Unopenable, VaultError, derive, open, seal};

const KEY: [u8; 32] = [0x42; 32];

#[test]
fn sealing_round_trips_and_hides_the_plaintext() {
    let plaintext = b"DOE^JANE PID-7";
    let sealed = seal(&KEY, b"token-1", plaintext).unwrap();
    assert_eq!(sealed.len(), NONCE_LEN + plaintext.len() + TAG_LEN);
    assert!(
        !sealed.windows(3).any(|w| w == b"DOE"),
        "no plaintext in the sealed bytes"
    );
    assert_eq!(open(&KEY, b"token-1", &sealed).unwrap(), plaintext);
    let again = seal(&KEY, b"token-1", plaintext).unwrap();
    assert_ne!(sealed, again, "a fresh nonce per seal");
    assert_eq!(open(&KEY, b"token-1", &again).unwrap(), plaintext);
    assert_eq!(
        open(&KEY, b"", &seal(&KEY, b"", b"").unwrap()).unwrap(),
        b""
    );
}

#[test]
fn any_altered_byte_fails_to_open() {
    let sealed = seal(&KEY, b"aad", b"sixteen bytes!!!").unwrap();
    for at in 0..sealed.len() {
        let mut altered = sealed.clone();
        altered[at] ^= 0x01;
        let part = match at {
            a if a < NONCE_LEN => "nonce",
            a if a >= sealed.len() - TAG_LEN => "tag",
            _ => "ciphertext",
        };
        assert_eq!(
            open(&KEY, b"aad", &altered),
            Err(Unopenable),
            "a flipped bit in the {part} at byte {at}"
        );
    }
    assert_eq!(
        open(&KEY, b"aad", &sealed[..sealed.len() - 1]),
        Err(Unopenable),
        "truncated"
    );
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(open(&KEY, b"aad", &longer), Err(Unopenable), "extended");
}

#[test]
fn the_wrong_key_or_associated_data_fails_to_open() {
    let sealed = seal(&KEY, b"aad", b"secret").unwrap();
    let mut other = KEY;
    other[31] ^= 0x80;
    assert_eq!(open(&other, b"aad", &sealed), Err(Unopenable), "wrong key");
    assert_eq!(open(&KEY, b"aae", &sealed), Err(Unopenable), "other aad");
    assert_eq!(open(&KEY, b"", &sealed), Err(Unopenable), "no aad");
}

#[test]
fn derived_keys_seal_for_their_purpose_only() {
    let master = [9u8; 32];
    let store = derive(&master, b"lucent-test-v1", b"store");
    let export = derive(&master, b"lucent-test-v1", b"export");
    assert_ne!(store, export);
    let sealed = seal(&store, b"", b"pixels").unwrap();
    assert_eq!(open(&store, b"", &sealed).unwrap(), b"pixels");
    assert_eq!(open(&export, b"", &sealed), Err(Unopenable));
    assert_eq!(
        derive(&master, b"lucent-test-v1", b"store"),
        store,
        "derivation is stable: what was sealed yesterday opens today"
    );
}

fn keychain(scope: &std::path::Path) -> Keychain {
    Keychain::open(scope).unwrap_or_else(|e| {
        panic!("{e}\n(the vault tests need a real Secret Service: run them through scripts/with-keyring.sh)")
    })
}

#[test]
fn entries_are_namespaced_by_their_scope_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let a = keychain(&tmp.path().join("a"));
    let b = keychain(&tmp.path().join("b"));
    assert_ne!(a.namespace(), b.namespace());
    assert_eq!(a.namespace().len(), 16);
    assert_eq!(
        keychain(&tmp.path().join("a")).namespace(),
        a.namespace(),
        "the same folder, the same namespace"
    );
    a.write("vault-test", b"for a").unwrap();
    assert_eq!(
        a.read("vault-test").unwrap().as_deref(),
        Some(&b"for a"[..])
    );
    assert_eq!(b.read("vault-test").unwrap(), None, "b sees none of a's");
    assert_eq!(
        b.with_namespace(a.namespace())
            .read("vault-test")
            .unwrap()
            .as_deref(),
        Some(&b"for a"[..])
    );
    a.write("vault-test", b"replaced").unwrap();
    assert_eq!(
        a.take("vault-test").unwrap().as_deref(),
        Some(&b"replaced"[..])
    );
    assert_eq!(a.read("vault-test").unwrap(), None, "taken means gone");
    assert_eq!(a.take("vault-test").unwrap(), None);
    a.delete("vault-test").unwrap();
}

#[test]
fn keys_are_created_once_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = keychain(tmp.path());
    assert_eq!(chain.key("vault-test-key", false).unwrap(), None);
    let created = chain.key("vault-test-key", true).unwrap().expect("created");
    assert_ne!(created, [0; 32]);
    assert_eq!(
        keychain(tmp.path()).key("vault-test-key", false).unwrap(),
        Some(created),
        "another handle on the same scope reads the same key"
    );
    assert_eq!(
        chain.key("vault-test-key", true).unwrap(),
        Some(created),
        "create keeps an existing key"
    );
    chain.write("vault-test-key", b"short").unwrap();
    match chain.key("vault-test-key", false) {
        Err(VaultError::NotAKey { entry }) => assert_eq!(entry, "vault-test-key"),
        other => panic!("a 5-byte entry is not a key: {other:?}"),
    }
    chain.delete("vault-test-key").unwrap();
    assert_eq!(chain.key("vault-test-key", false).unwrap(), None);
}
