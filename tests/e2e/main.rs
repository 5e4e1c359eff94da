//! End-to-end tests: the real `adxconn` binary against the in-repo emulator of ARM and Entra ID,
//! over real HTTPS with a CA generated per run. One test binary, one module per area.

mod support;

mod auth;
mod create;
mod cross_tenant;
mod errors;
mod fleet;
mod hostile_input;
mod hostile_network;
mod inputs;
mod lifecycle;
mod output;
mod reliability;
mod replay;
mod resource;
mod sign_in;
mod soak;
mod sweep;
mod terminal;
