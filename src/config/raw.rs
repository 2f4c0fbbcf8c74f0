//! The config file as written: serde structs that mirror the TOML, with spans kept
//! for error messages and unknown keys rejected. Nothing here is validated.
