//! nchat's attachments on queued messages: checked, stored (a v4 entry, so
//! entries without them stay the v3 text earlier builds read), sent in the
//! `message:send` payload, and kept by the migration of nchat's own queue.

use super::*;

fn photo() -> Value {
    json!({"id": "a1", "type": "image", "name": "cat.png", "size": 2048, "url": "https://files.example/cat.png"})
}

fn with_files(content: &str, attachments: Vec<Value>) -> NewMessage {
    let mut m = NewMessage::text("ch-1", content);
    m.message_type = "file".into();
    m.attachments = attachments;
    m
}

#[test]
fn attachments_are_stored_survive_a_reload_and_go_out_as_nchat_sends_them() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let draft = json!({"id": "a2", "type": "application/pdf", "name": "", "size": 0, "localPath": "/tmp/doc.pdf"});
    // A file message may have no text.
    let m = queue_msg(&mut q, with_files(" ", vec![photo(), draft]), 1);
    let plain = queue(&mut q, "plain", 2);
    let entries = stored(&store);
    assert_eq!(entries[0]["version"], 4);
    assert_eq!(
        entries[0]["attachments"],
        json!([{"id": "a1", "type": "image", "name": "cat.png", "size": 2048, "url": "https://files.example/cat.png"},
               {"id": "a2", "type": "application/pdf", "name": "", "size": 0, "localPath": "/tmp/doc.pdf"}])
    );
    // Without attachments: the v3 entry of earlier builds, no new key.
    assert_eq!(entries[1]["version"], 3);
    assert_eq!(entries[1].get("attachments"), None);
    assert_eq!(m.to_json()["attachments"], entries[0]["attachments"]);
    assert_eq!(plain.to_json().get("attachments"), None);

    let mut reloaded = open(&store);
    assert!(reloaded.drain_effects().is_empty(), "loads cleanly");
    assert_eq!(reloaded.get_queued_messages(), q.get_queued_messages());

    reloaded.on_connected(10);
    let reqs = requests(&reloaded.drain_effects());
    assert_eq!(
        reqs[0].1,
        json!({"roomName": "channel:ch-1", "content": " ", "clientMessageId": m.client_message_id,
               "metadata": {"clientMessageId": m.client_message_id}, "type": "file",
               "attachments": entries[0]["attachments"]})
    );
}

#[test]
fn a_message_needs_text_or_attachments_and_each_attachment_an_id_and_type() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let refused = |q: &mut OfflineQueueService, m: NewMessage| match q.queue_message(m, 1) {
        Err(QueueError::InvalidMessage(why)) => why,
        other => panic!("accepted: {other:?}"),
    };
    assert_eq!(refused(&mut q, with_files("", vec![])), "content is empty");
    let bad = [
        json!({"id": "", "type": "image", "name": "a", "size": 1}),
        json!({"id": "a", "type": "", "name": "a", "size": 1}),
        json!({"id": "a", "type": "image", "size": 1}),
        json!({"id": "a", "type": "image", "name": "a", "size": -1}),
        json!({"id": "a", "type": "image", "name": "a", "size": 1.5}),
        json!({"id": "a", "type": "image", "name": "a", "size": 1, "url": 7}),
        json!({"id": "a", "type": "image", "name": "a", "size": 1, "localPath": false}),
        json!("a.png"),
    ];
    for b in bad {
        let why = refused(&mut q, with_files("hi", vec![photo(), b.clone()]));
        assert!(why.starts_with("an attachment must be"), "{b}: {why}");
    }
    assert_eq!(q.get_queue_length(), 0);
    assert!(store.keys().is_empty(), "nothing stored");
}

#[test]
fn a_changed_attachment_fails_the_checksum_and_a_later_version_is_set_aside() {
    let store = MemoryStore::new();
    let mut q = open(&store);
    let m = queue_msg(&mut q, with_files("look", vec![photo()]), 1);
    let key = format!("{PREFIX}{}", m.id);
    let text = store.raw(&key).unwrap();
    store.put_raw(&key, &text.replace("2048", "4096"));
    let mut reloaded = open(&store);
    assert_eq!(reloaded.get_queue_length(), 0);
    assert_eq!(
        errors(&reloaded.drain_effects()),
        [(QueueErrorReason::Corrupt, Some(m.id.clone()))]
    );

    store.put_raw(&key, &text.replace("\"version\":4", "\"version\":5"));
    let mut newer = open(&store);
    assert_eq!(newer.get_queue_length(), 0);
    assert_eq!(newer.drain_effects().len(), 1);
    let q = newer.quarantined(0);
    assert!(
        q.iter()
            .any(|e| e.reason.contains("unsupported entry version 5")),
        "{q:?}"
    );
}

#[test]
fn nchats_stored_queue_keeps_its_attachments() {
    let store = MemoryStore::new();
    store.put_raw(
        KEY,
        r#"{"version":1,"items":[
            {"id":"q_1_a","channelId":"ch-1","content":"","type":"image","timestamp":1700000000000,"retries":0,
             "attachments":[{"id":"f1","type":"image/png","name":"a.png","size":10,"url":"https://f/a.png","thumb":"t"}]},
            {"id":"q_2_b","channelId":"ch-1","content":"x","type":"file","timestamp":1700000001000,"retries":0,
             "attachments":[{"id":"f2","type":"file","name":"b","size":-1}]}
        ]}"#,
    );
    let mut q = open(&store);
    let msgs = q.get_queued_messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0].attachments,
        [
            json!({"id":"f1","type":"image/png","name":"a.png","size":10,"url":"https://f/a.png","thumb":"t"})
        ],
        "as nchat stored it, its own keys too"
    );
    // A negative size is not an attachment: that item is set aside.
    assert_eq!(
        errors(&q.drain_effects()),
        [(QueueErrorReason::Corrupt, Some("q_2_b".into()))]
    );
    assert_eq!(stored(&store)[0]["version"], 4);
}
