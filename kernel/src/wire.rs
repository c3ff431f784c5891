//! The Jupyter wire protocol: messages to and from ZeroMQ frames, signed with the connection's HMAC-SHA256 key.
//!
//! A message is `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]`; the
//! signature is the hex HMAC-SHA256 of the four JSON frames under the connection file's `key` (an empty key
//! disables signing, as Jupyter specifies). A message whose signature does not verify is rejected, never handled.

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use jupyter_protocol::{Header, JupyterMessage, JupyterMessageContent};
use serde_json::Value;
use sha2::Sha256;

/// The frame between the routing identities and the signed message.
const DELIMITER: &[u8] = b"<IDS|MSG>";

/// What can be wrong with a message on the wire.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The frames do not have the message layout.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The signature is missing or does not match the key.
    #[error("message signature does not verify (msg_type `{msg_type}`)")]
    BadSignature {
        /// The claimed message type, for the log.
        msg_type: String,
    },
    /// A JSON frame does not parse, or its content does not fit its message type.
    #[error("message JSON: {0}")]
    Json(String),
    /// The connection file asks for a scheme other than `hmac-sha256`.
    #[error("unsupported signature scheme `{0}`; Flint signs with hmac-sha256")]
    Scheme(String),
}

/// Signs and verifies messages with the connection key.
#[derive(Clone)]
pub struct Signer {
    key: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("signing", &self.key.is_some()).finish()
    }
}

impl Signer {
    /// A signer for the connection file's `key` and `signature_scheme`.
    pub fn new(key: &str, scheme: &str) -> Result<Signer, WireError> {
        if key.is_empty() {
            return Ok(Signer { key: None });
        }
        if scheme != "hmac-sha256" {
            return Err(WireError::Scheme(scheme.to_string()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| WireError::Scheme(e.to_string()))?;
        Ok(Signer { key: Some(mac) })
    }

    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        let mut mac = self.key.clone()?;
        for part in parts {
            mac.update(part);
        }
        Some(mac)
    }

    /// The hex signature of the four JSON frames (empty without a key).
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        self.mac(parts).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default()
    }

    /// Whether `signature` is that of the four JSON frames, compared in constant time.
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        match self.mac(parts) {
            None => true,
            Some(mac) => hex::decode(signature).is_ok_and(|sig| mac.verify_slice(&sig).is_ok()),
        }
    }
}

fn parse_json(frame: &[u8], what: &str) -> Result<Value, WireError> {
    serde_json::from_slice(frame).map_err(|e| WireError::Json(format!("{what}: {e}")))
}

/// A message from the frames a ROUTER (or SUB) socket received.
pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<JupyterMessage, WireError> {
    let at = frames
        .iter()
        .position(|f| f.as_ref() == DELIMITER)
        .ok_or_else(|| WireError::Malformed("no <IDS|MSG> delimiter".into()))?;
    let (ids, rest) = frames.split_at(at);
    let rest = &rest[1..];
    if rest.len() < 5 {
        return Err(WireError::Malformed(format!("{} frames after the delimiter, 5 expected", rest.len())));
    }
    let parts: Vec<&[u8]> = rest[1..5].iter().map(|b| b.as_ref()).collect();
    if !signer.verify(&parts, &rest[0]) {
        let msg_type = parse_json(parts[0], "header")
            .ok()
            .and_then(|h| h.get("msg_type").and_then(Value::as_str).map(String::from))
            .unwrap_or_default();
        return Err(WireError::BadSignature { msg_type });
    }
    let header: Header = serde_json::from_slice(parts[0]).map_err(|e| WireError::Json(format!("header: {e}")))?;
    let parent = parse_json(parts[1], "parent_header")?;
    let parent_header = match parent {
        Value::Object(ref m) if m.is_empty() => None,
        other => Some(serde_json::from_value(other).map_err(|e| WireError::Json(format!("parent_header: {e}")))?),
    };
    let metadata = parse_json(parts[2], "metadata")?;
    let content = JupyterMessageContent::from_type_and_content(&header.msg_type, parse_json(parts[3], "content")?)
        .map_err(|e| WireError::Json(format!("content of {}: {e}", header.msg_type)))?;
    Ok(JupyterMessage {
        zmq_identities: ids.to_vec(),
        header,
        parent_header,
        metadata,
        content,
        buffers: rest[5..].to_vec(),
        channel: None,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, WireError> {
    serde_json::to_vec(value).map_err(|e| WireError::Json(e.to_string()))
}

/// The frames of a message, signed; `topic` (the iopub subscription prefix) replaces the routing identities.
pub fn encode(message: &JupyterMessage, signer: &Signer, topic: Option<&str>) -> Result<Vec<Bytes>, WireError> {
    let header = json(&message.header)?;
    let parent = match &message.parent_header {
        Some(p) => json(p)?,
        None => b"{}".to_vec(),
    };
    let metadata = json(&message.metadata)?;
    let content = json(&message.content)?;
    let signature = signer.sign(&[&header, &parent, &metadata, &content]);
    let mut frames: Vec<Bytes> = match topic {
        Some(t) => vec![Bytes::from(t.to_string())],
        None => message.zmq_identities.clone(),
    };
    frames.push(Bytes::from_static(DELIMITER));
    frames.push(Bytes::from(signature));
    for part in [header, parent, metadata, content] {
        frames.push(Bytes::from(part));
    }
    frames.extend(message.buffers.iter().cloned());
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::KernelInfoRequest;

    fn request() -> JupyterMessage {
        JupyterMessage::new(KernelInfoRequest {}, None).with_zmq_identities(vec![Bytes::from_static(b"client-1")])
    }

    #[test]
    fn signed_messages_round_trip() {
        let signer = Signer::new("secret", "hmac-sha256").expect("signer");
        let frames = encode(&request(), &signer, None).expect("encode");
        assert_eq!(frames[0].as_ref(), b"client-1");
        assert_eq!(frames[1].as_ref(), DELIMITER);
        assert_eq!(frames[2].len(), 64, "hex of a SHA-256 MAC");
        let back = decode(frames, &signer).expect("decode");
        assert_eq!(back.header.msg_type, "kernel_info_request");
        assert_eq!(back.zmq_identities, vec![Bytes::from_static(b"client-1")]);
    }

    #[test]
    fn a_wrong_key_or_a_changed_frame_is_rejected() {
        let signer = Signer::new("secret", "hmac-sha256").expect("signer");
        let frames = encode(&request(), &signer, None).expect("encode");
        let other = Signer::new("other", "hmac-sha256").expect("signer");
        assert!(matches!(decode(frames.clone(), &other), Err(WireError::BadSignature { .. })));
        let mut tampered = frames;
        tampered[6] = Bytes::from_static(br#"{"tampered": true}"#);
        let err = decode(tampered, &signer).expect_err("content changed after signing");
        assert!(err.to_string().contains("kernel_info_request"), "{err}");
    }

    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signer = Signer::new("Jefe", "hmac-sha256").expect("signer");
        assert_eq!(
            signer.sign(&[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(Signer::new("k", "hmac-md5").is_err());
        assert_eq!(Signer::new("", "").expect("no key").sign(&[b"x"]), "");
    }

    #[test]
    fn malformed_frames_are_errors() {
        let signer = Signer::new("", "hmac-sha256").expect("signer");
        assert!(matches!(decode(vec![Bytes::from_static(b"x")], &signer), Err(WireError::Malformed(_))));
    }
}
