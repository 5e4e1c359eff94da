//! `adxconn auth`: sign in as any command would, and show who that is, how it was chosen and
//! until when, from the token's claims. Never the token, the secret or the key.

use serde_json::{json, Value};

use crate::auth::claims::Claims;
use crate::error::Error;

use super::Context;

pub async fn run(context: &Context) -> Result<(), Error> {
    let client = context.client(None)?;
    let credential = client.credential();
    let token = client.primary_token().await?;
    let claims = Claims::decode(token.secret()).unwrap_or_default();
    let mut auxiliary = Vec::new();
    for index in 0..client.auxiliary_count() {
        let token = client.auxiliary_token(index).await?;
        let claims = token
            .and_then(|token| Claims::decode(token.secret()).ok())
            .unwrap_or_default();
        auxiliary.push((client.auxiliary_label(index), claims));
    }
    let endpoints = &context.endpoints;
    if context.printer.wants_data() {
        let mut report = claims_json(&claims);
        if let Value::Object(object) = &mut report {
            object.insert("method".into(), credential.method().as_str().into());
            object.insert("reason".into(), credential.reason().into());
            object.insert("identity".into(), credential.describe().into());
            object.insert("armEndpoint".into(), endpoints.arm.as_str().into());
            object.insert("authority".into(), endpoints.authority.as_str().into());
            object.insert(
                "auxiliary".into(),
                auxiliary
                    .iter()
                    .map(|(label, claims)| {
                        let mut json = claims_json(claims);
                        json["credential"] = label.clone().into();
                        json
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        context.printer.data(&report)?;
    } else {
        let known = |value: &Option<String>| value.clone().unwrap_or_else(|| "?".into());
        let mut rows = vec![
            [
                "method".to_string(),
                credential.method().as_str().to_string(),
            ],
            ["chosen".to_string(), credential.reason().to_string()],
            ["identity".to_string(), credential.describe()],
            ["tenant".to_string(), known(&claims.tenant)],
            ["client id".to_string(), known(&claims.app_id)],
            ["object id".to_string(), known(&claims.object_id)],
            ["expires".to_string(), expiry(&claims)],
            ["arm endpoint".to_string(), endpoints.arm.to_string()],
            ["authority".to_string(), endpoints.authority.to_string()],
        ];
        for (n, (label, claims)) in auxiliary.iter().enumerate() {
            rows.push([
                format!("auxiliary {}", n + 1),
                format!("{label}: {}", claims.describe()),
            ]);
        }
        context.printer.table(&crate::output::pairs_table(rows))?;
    }
    Ok(())
}

/// `{tenant, clientId, objectId, expiresOn}` of a token, `null` where it does not say.
fn claims_json(claims: &Claims) -> Value {
    json!({
        "tenant": claims.tenant,
        "clientId": claims.app_id,
        "objectId": claims.object_id,
        "expiresOn": claims.expires.and_then(rfc3339),
    })
}

fn rfc3339(epoch: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// `2026-12-06T21:00:00Z (in 59 min)`.
fn expiry(claims: &Claims) -> String {
    let Some(expires) = claims.expires else {
        return "?".into();
    };
    let left = expires - time::OffsetDateTime::now_utc().unix_timestamp();
    let when = rfc3339(expires).unwrap_or_else(|| expires.to_string());
    if left >= 0 {
        format!("{when} (in {} min)", left / 60)
    } else {
        format!("{when} (expired {} min ago)", -left / 60)
    }
}
