//! The source resources data connections read (Event Hubs, IoT Hubs,
//! storage accounts, Event Grid subscriptions, Cosmos DB accounts), as a
//! `GET` of their id finds them: present, deleted, or forbidden to the
//! caller's tenant. The subscription and its tenant were checked before.

use serde_json::json;

use crate::arm::replies::authorization_failed;
use crate::arm::routes::read_action;
use crate::http::Reply;
use crate::state::State;
use crate::token::Claims;
use crate::world::SourceState;

/// `GET` of source `id` (as requested, decoded) for the caller of `claims`.
pub(super) fn get_source(state: &State, claims: &Claims, id: &str) -> Reply {
    let Some(source) = state.world.source(id) else {
        return not_found(id);
    };
    match &source.state {
        SourceState::Deleted => not_found(id),
        SourceState::Forbidden { tenant } if tenant.eq_ignore_ascii_case(&claims.tid) => {
            authorization_failed(claims, &read_action(id), id)
        }
        SourceState::Present | SourceState::Forbidden { .. } => Reply::json(
            200,
            &json!({
                "id": source.id,
                "name": last_segment(&source.id),
                "type": source.resource_type(),
                "location": source.location,
            }),
        ),
    }
}

/// ARM's 404 for a resource that does not exist, naming its type and name
/// path (what follows the first `providers`) and its group.
fn not_found(id: &str) -> Reply {
    let segments: Vec<&str> = id.trim_matches('/').split('/').collect();
    let after = |word: &str| {
        segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case(word))
            .map(|i| i + 1)
    };
    let group = after("resourceGroups")
        .and_then(|i| segments.get(i))
        .copied()
        .unwrap_or_default();
    let resource = after("providers")
        .and_then(|i| segments.get(i..))
        .map(|rest| rest.join("/"))
        .unwrap_or_default();
    Reply::arm_error(
        404,
        "ResourceNotFound",
        format!(
            "The Resource '{resource}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}
