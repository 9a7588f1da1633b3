use super::*;

#[test]
fn clones_share_data_and_quota_applies() {
    let a = MemoryStore::with_quota(20);
    let mut b = a.clone();
    b.set("k", "0123456789").unwrap();
    assert_eq!(a.get("k").unwrap().as_deref(), Some("0123456789"));
    assert_eq!(b.set("k2", "0123456789"), Err(StoreError::QuotaExceeded));
    // Replacing a value only counts the difference.
    b.set("k", "0123456789abcdefgh").unwrap();
    assert_eq!(a.used_bytes(), 19);
    b.remove("k").unwrap();
    assert_eq!(a.get("k").unwrap(), None);
}

#[test]
fn failure_switch_fails_every_operation() {
    let mut s = MemoryStore::new();
    s.set("k", "v").unwrap();
    s.set_failure(Some(StoreError::Unavailable));
    assert_eq!(s.get("k"), Err(StoreError::Unavailable));
    assert_eq!(s.set("k", "w"), Err(StoreError::Unavailable));
    assert_eq!(s.remove("k"), Err(StoreError::Unavailable));
    assert_eq!(s.raw("k").as_deref(), Some("v"));
    s.set_failure(None);
    assert_eq!(s.get("k").unwrap().as_deref(), Some("v"));
    assert_eq!(StoreError::QuotaExceeded.reason(), "quota");
    assert_eq!(StoreError::Unavailable.reason(), "unavailable");
}
