//! The strategies. Each is one file in this folder exposing
//!
//! ```ignore
//! pub const NAME: &str = "my_strategy";
//! pub fn build(params: &mut Params) -> Result<Box<dyn Strategy>, BadEvent>;
//! ```
//!
//! `build.rs` finds the files and generates the registry below, so adding a strategy is adding a
//! file (see the README, "Adding a strategy").

use precog::runner::BadEvent;

use crate::params::Params;
use crate::strategy::Strategy;

/// Reads a combination's parameters (refusing bad ones by name) and builds the strategy.
pub type Builder = fn(&mut Params) -> Result<Box<dyn Strategy>, BadEvent>;

include!(concat!(env!("OUT_DIR"), "/strategies.rs"));

/// The strategy called `name`, built from one combination of parameters.
pub fn build(name: &str, params: Params) -> Result<Box<dyn Strategy>, BadEvent> {
    let Some((_, builder)) = REGISTRY.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = REGISTRY.iter().map(|(n, _)| *n).collect();
        return Err(BadEvent::new(
            "strategy",
            format!("unknown strategy {name:?}; known: {known:?}"),
        ));
    };
    let mut params = params;
    let strategy = builder(&mut params)?;
    params.finish(name)?;
    Ok(strategy)
}
