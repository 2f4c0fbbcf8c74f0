//! poll (being written)
