//! schedule (being written)
