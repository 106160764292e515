//! The Compose Specification loader behind `docker-ecs`.
//!
//! [`load`] reads Compose files the way Docker Compose v2 does (interpolation,
//! `.env`, multiple files, `extends`, `include`, profiles) and returns a typed,
//! normalised [`Project`]. Every error names the file, line, column and key
//! path. Nothing here knows about AWS.

pub mod canonical;
pub mod checks;
pub mod de;
pub mod emit;
pub mod env;
pub mod error;
pub mod interpolate;
pub mod limits;
pub mod load;
pub mod merge;
pub mod model;
pub mod node;
pub mod options;
pub mod output;
pub mod positions;
pub mod read;
pub mod resolve;
pub mod syntax;
pub mod units;
pub mod yaml;
mod yaml_fast;

pub use env::Environment;
pub use error::{Error, Result, SourceMap};
pub use load::{Loaded, load};
pub use model::Project;
pub use options::LoadOptions;
pub use positions::Positions;
