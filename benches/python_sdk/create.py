"""Creates one Event Hub data connection with the Python SDK (azure-mgmt-kusto), default polling.

Run by `benches/operations.rs` in the virtual environment it makes, against the emulator.
Prints one line of JSON: the wall time of `begin_create_or_update(...).result()` (OpenID
discovery, token, PUT, polls and final GET; not the interpreter's start or the imports), the
provisioning state it returned, and the versions used.
"""

import argparse
import json
import sys
import time
from importlib.metadata import version


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="ARM endpoint and Entra authority host")
    parser.add_argument("--ca-file", required=True, help="CA certificate (PEM) to trust")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--name", required=True, help="the data connection's name")
    parser.add_argument("--eventhub-id", required=True)
    parser.add_argument("--location", required=True)
    parser.add_argument("--api-version", required=True)
    args = parser.parse_args()

    from azure.identity import ClientSecretCredential
    from azure.mgmt.kusto import KustoManagementClient
    from azure.mgmt.kusto.models import EventHubConnectionProperties, EventHubDataConnection

    credential = ClientSecretCredential(
        args.tenant,
        args.client_id,
        args.client_secret,
        authority=args.url,
        # The emulator is not a known Azure cloud: no discovery at login.microsoftonline.com.
        disable_instance_discovery=True,
        connection_verify=args.ca_file,
    )
    client = KustoManagementClient(
        credential,
        args.subscription,
        base_url=args.url,
        credential_scopes=["https://management.azure.com/.default"],
        api_version=args.api_version,
        connection_verify=args.ca_file,
    )
    connection = EventHubDataConnection(
        location=args.location,
        properties=EventHubConnectionProperties(
            event_hub_resource_id=args.eventhub_id,
            consumer_group="$Default",
        ),
    )
    # azure-mgmt-kusto 4.0.0's constructor leaves the discriminator unset, and ARM refuses a
    # body without it ("The property 'kind' is missing").
    connection.kind = "EventHub"
    started = time.monotonic()
    result = client.data_connections.begin_create_or_update(
        args.resource_group, args.cluster, args.database, args.name, connection
    ).result()
    seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "provisioning_state": result.properties.provisioning_state,
                "azure_mgmt_kusto": version("azure-mgmt-kusto"),
                "azure_identity": version("azure-identity"),
                "azure_core": version("azure-core"),
                "msal": version("msal"),
                "api_version": args.api_version,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
