//! `adxconn show`: one GET.

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::target::ConnectionRef;

use super::Context;

pub async fn run(context: &Context, args: &ShowArgs) -> Result<(), Error> {
    let target = ConnectionRef::locate(&args.locate)?;
    let client = context.client()?;
    let url = client.url(&target.path());
    let resource = match client.get(&url).await {
        Ok(response) => response.json("the data connection")?,
        Err(error) if error.status() == Some(404) => {
            return Err(Error::NotFound {
                name: target.name.clone(),
                database: target.database.display(),
            })
        }
        Err(error) => return Err(error.into()),
    };
    context.printer.connection(&resource)
}
