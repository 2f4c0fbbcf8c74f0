//! Corpus generators and loaders shared by these tests and the benchmarks (each
//! bench includes the files it needs with `#[path]`, declared as sibling modules
//! under the same names, so `super::` paths resolve in both).

pub mod replay;
pub mod shared_corpus;
pub mod syndicated;
pub mod vocabulary;
