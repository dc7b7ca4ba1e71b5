//! Grouping the requests of a sender hookrig did not write into deliveries: by the id the
//! profile says a request carries ([`IdAt`]), the first id seen being delivery 0, and
//! each request of a delivery its next attempt. Requests without the id (or a profile
//! without one) share one delivery, so every request that arrives is still counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::profile::{IdAt, Profile};
use crate::record::DeliveryTag;

/// Ids seen so far and the attempts each made.
#[derive(Debug)]
pub struct Grouping {
    profile: Arc<Profile>,
    at: Option<IdAt>,
    /// Every request is the one delivery's next attempt, whatever id it carries (a check
    /// that must see a sender's retries even when it draws a new id for each).
    one: bool,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// id → (delivery index, attempts so far).
    ids: HashMap<String, (usize, u32)>,
    /// Delivery index → id, in arrival order.
    order: Vec<String>,
}

impl Grouping {
    /// Groups by where `profile` carries the delivery id.
    pub fn new(profile: Arc<Profile>) -> Self {
        let at = profile.delivery_id_at();
        Self {
            profile,
            at,
            one: false,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Counts every request as the next attempt of one delivery (delivery 0), whatever id
    /// it carries; [`Grouping::ids`] still lists the ids seen.
    pub fn one_delivery(profile: Arc<Profile>) -> Self {
        Self {
            one: true,
            ..Self::new(profile)
        }
    }

    /// Where the id is read from (`None`: the profile's requests carry none).
    pub fn id_at(&self) -> Option<&IdAt> {
        self.at.as_ref()
    }

    /// The tag of a request that just arrived: its delivery (a new one for a new id) and
    /// its attempt number within it.
    pub fn tag(&self, headers: &[crate::record::Header], body: &[u8]) -> DeliveryTag {
        let id = self
            .at
            .as_ref()
            .and_then(|at| at.read(&self.profile, headers, body))
            .unwrap_or_default();
        let event_type = self
            .profile
            .event_type_of_request(headers, body)
            .unwrap_or_default();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let next = seen.order.len();
        let key = if self.one { String::new() } else { id.clone() };
        let (delivery, n) = {
            let e = seen.ids.entry(key).or_insert((next, 0));
            e.1 += 1;
            *e
        };
        let new = delivery == next || (self.one && !seen.order.contains(&id));
        if new {
            seen.order.push(id);
        }
        DeliveryTag {
            delivery,
            event_type: event_type.into(),
            attempt: n,
            hop: 0,
        }
    }

    /// The id of each delivery, in arrival order (empty for requests that carried none);
    /// with [`Grouping::one_delivery`], every id seen.
    pub fn ids(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .order
            .clone()
    }
}
