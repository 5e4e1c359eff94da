//! `adxconn show`: one GET, and whether its source is in another tenant.

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::tenancy::Tenancy;

use super::{missing, Context};

pub async fn run(context: &Context, args: &ShowArgs) -> Result<(), Error> {
    let target = super::located(args.locate.connection())?;
    let client = context.client(None)?;
    let url = client.url(&target.path())?;
    let mut resource = match client.get(&url).await {
        Ok(response) => response.json("the data connection")?,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::connection_absent(&client, &target).await?.into())
        }
        Err(error) => return Err(error.into()),
    };
    if !resource.is_object() {
        return Err(crate::arm::ArmError::Decode {
            what: "the data connection".into(),
            problem: "the answer was not a JSON object".into(),
        }
        .into());
    }
    Tenancy::new(&client)
        .await
        .mark(&mut resource, &target.database.subscription)
        .await?;
    context.printer.connection(&resource)
}
