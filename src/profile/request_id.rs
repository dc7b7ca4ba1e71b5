//! Where a received request carries its delivery's id, so requests from a sender hookrig
//! did not write can be grouped into deliveries (a retry repeats the id).
//!
//! The place is found from the profile itself, not from a table: a request is built with
//! a probe id, and the first header whose value is the probe (`webhook-id`,
//! `X-Webhook-Event-ID`, `X-GitHub-Delivery`) — else the first body field that is
//! (`event_id`, `eventId`) — is where the id travels.

use serde_json::Value;

use super::{DeliveryIds, Endpoint, Profile};
use crate::rng::RunRng;

/// Where a request carries its delivery id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdAt {
    /// In this header.
    Header(String),
    /// At this JSON pointer of the (decoded) body.
    Body(String),
}

impl IdAt {
    /// The id a request carries there, if it does.
    pub fn read(
        &self,
        profile: &Profile,
        headers: &[crate::record::Header],
        body: &[u8],
    ) -> Option<String> {
        match self {
            IdAt::Header(name) => crate::signing::header(headers, name).map(str::to_owned),
            IdAt::Body(ptr) => {
                let v = profile.decode_body(body).ok()?;
                match v.pointer(ptr)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }
            }
        }
    }

    /// In words: `header webhook-id`, `body /event_id`.
    pub fn describe(&self) -> String {
        match self {
            IdAt::Header(h) => format!("header {h}"),
            IdAt::Body(p) => format!("body field {p}"),
        }
    }
}

const PROBE: &str = "hookrigprobe5ca1ab1e";

impl Profile {
    /// Where this profile's requests carry the delivery id; `None` when they carry none
    /// (every request then counts as one delivery's).
    pub fn delivery_id_at(&self) -> Option<IdAt> {
        let mut rng = RunRng::derive(0, "delivery-id-probe");
        let mut ids: DeliveryIds = self.new_ids(&mut rng);
        let slot = self.ids.iter().position(|f| f.name == "id")?;
        ids.message_id = PROBE.into();
        if let Some(v) = ids.values.get_mut(slot) {
            *v = PROBE.into();
        }
        let event_type = self
            .catalogue
            .first()
            .map(|e| e.name.clone())
            .unwrap_or_else(|| "test.event".into());
        let data = self.generate_data(&event_type, &mut rng);
        let endpoint = Endpoint {
            secrets: self
                .test_secret()
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
            ..Endpoint::default()
        };
        let req = self
            .build_request(
                &endpoint,
                &event_type,
                &data,
                &ids,
                std::time::Duration::ZERO,
            )
            .ok()?;
        if let Some((name, _)) = req.headers.iter().find(|(_, v)| v == PROBE) {
            return Some(IdAt::Header(name.to_string()));
        }
        let body = self.decode_body(&req.body).ok()?;
        find(&body, "").map(IdAt::Body)
    }
}

fn find(v: &Value, at: &str) -> Option<String> {
    match v {
        Value::String(s) if s == PROBE => Some(at.to_owned()),
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            let k = k.replace('~', "~0").replace('/', "~1");
            find(v, &format!("{at}/{k}"))
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find(v, &format!("{at}/{i}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_carries_its_id_in_webhook_id() {
        let p = crate::profile::builtin("standard-webhooks").unwrap();

        assert_eq!(p.delivery_id_at(), Some(IdAt::Header("webhook-id".into())));
    }

    #[test]
    fn llamacloud_carries_its_id_in_a_header_before_the_body() {
        let p = crate::profile::builtin("llamacloud").unwrap();

        assert_eq!(
            p.delivery_id_at(),
            Some(IdAt::Header("X-Webhook-Event-ID".into()))
        );
    }

    #[test]
    fn extend_carries_its_id_in_the_body() {
        let p = crate::profile::builtin("extend").unwrap();

        assert_eq!(p.delivery_id_at(), Some(IdAt::Body("/eventId".into())));
    }
}
