//! Strategy parameters: read field by field (so a misspelt one is refused by name), and sweeps,
//! where any parameter given as a list expands into every combination.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use precog::runner::BadEvent;

/// One combination's parameters, consumed by a strategy's builder.
#[derive(Debug, Clone)]
pub struct Params {
    values: Map<String, Value>,
}

impl Params {
    pub fn new(values: Map<String, Value>) -> Self {
        Self { values }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.values.remove(name)
    }

    fn bad(name: &str, message: impl Into<String>) -> BadEvent {
        BadEvent::new(format!("params.{name}"), message)
    }

    /// A decimal given as a JSON number or string (`0.85` or `"0.85"`).
    pub fn decimal(&mut self, name: &str, default: Option<Decimal>) -> Result<Decimal, BadEvent> {
        match self.take(name) {
            None => default.ok_or_else(|| Self::bad(name, "is required")),
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| Self::bad(name, format!("{s:?} is not a decimal"))),
            Some(Value::Number(n)) => n
                .to_string()
                .parse()
                .map_err(|_| Self::bad(name, format!("{n} is not a decimal"))),
            Some(other) => Err(Self::bad(name, format!("{other} is not a decimal"))),
        }
    }

    /// A decimal in `[low, high]`.
    pub fn decimal_in(
        &mut self,
        name: &str,
        default: Option<Decimal>,
        low: Decimal,
        high: Decimal,
    ) -> Result<Decimal, BadEvent> {
        let value = self.decimal(name, default)?;
        if value < low || value > high {
            return Err(Self::bad(
                name,
                format!("{value} is outside {low}..={high}"),
            ));
        }
        Ok(value)
    }

    /// A decimal in `[low, high]`, or `None` when not given (a rule that is off unless asked).
    pub fn optional_decimal_in(
        &mut self,
        name: &str,
        low: Decimal,
        high: Decimal,
    ) -> Result<Option<Decimal>, BadEvent> {
        if !self.values.contains_key(name) {
            return Ok(None);
        }
        self.decimal_in(name, None, low, high).map(Some)
    }

    /// A positive whole number, or `None` when not given.
    pub fn optional_positive_integer(&mut self, name: &str) -> Result<Option<u64>, BadEvent> {
        if !self.values.contains_key(name) {
            return Ok(None);
        }
        self.positive_integer(name, None).map(Some)
    }

    /// A positive whole number.
    pub fn positive_integer(&mut self, name: &str, default: Option<u64>) -> Result<u64, BadEvent> {
        match self.take(name) {
            None => default.ok_or_else(|| Self::bad(name, "is required")),
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|v| *v > 0)
                .ok_or_else(|| Self::bad(name, format!("{n} is not a positive integer"))),
            Some(other) => Err(Self::bad(
                name,
                format!("{other} is not a positive integer"),
            )),
        }
    }

    /// One of a fixed set of words.
    pub fn choice(
        &mut self,
        name: &str,
        default: Option<&str>,
        allowed: &[&str],
    ) -> Result<String, BadEvent> {
        let value = match self.take(name) {
            None => default
                .map(str::to_owned)
                .ok_or_else(|| Self::bad(name, "is required"))?,
            Some(Value::String(s)) => s,
            Some(other) => return Err(Self::bad(name, format!("{other} is not a string"))),
        };
        if allowed.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(Self::bad(
                name,
                format!("{value:?} is not one of {allowed:?}"),
            ))
        }
    }

    /// Refuses whatever the builder did not read.
    pub fn finish(self, strategy: &str) -> Result<(), BadEvent> {
        match self.values.keys().next() {
            Some(name) => Err(Self::bad(
                name,
                format!("is not a parameter of strategy {strategy:?}"),
            )),
            None => Ok(()),
        }
    }
}

/// Every combination of the values given as lists, in a stable order (keys sorted, list order
/// kept). `limit` is checked before anything is built, so a huge sweep is refused up front.
pub fn expand(
    params: &Map<String, Value>,
    limit: usize,
) -> Result<Vec<Map<String, Value>>, BadEvent> {
    let mut combinations = vec![Map::new()];
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    let mut total: usize = 1;
    for key in &keys {
        if let Value::Array(values) = &params[key.as_str()] {
            if values.is_empty() {
                return Err(BadEvent::new(
                    format!("params.{key}"),
                    "an empty list sweeps nothing",
                ));
            }
            total = total.saturating_mul(values.len());
        }
    }
    if total > limit {
        return Err(BadEvent::new(
            "params",
            format!("the sweep has {total} combinations; one invocation runs at most {limit} (split it)"),
        ));
    }
    for key in keys {
        let choices: Vec<Value> = match &params[key.as_str()] {
            Value::Array(values) => values.clone(),
            scalar => vec![scalar.clone()],
        };
        combinations = combinations
            .into_iter()
            .flat_map(|base| {
                choices.iter().map(move |choice| {
                    let mut next = base.clone();
                    next.insert(key.clone(), choice.clone());
                    next
                })
            })
            .collect();
    }
    Ok(combinations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn lists_expand_into_every_combination_in_a_stable_order() {
        let combos = expand(&map(json!({"b": [1, 2], "a": ["x", "y"], "c": 5})), 100).expect("ok");
        assert_eq!(combos.len(), 4);
        assert_eq!(
            Value::Object(combos[0].clone()),
            json!({"a": "x", "b": 1, "c": 5})
        );
        assert_eq!(
            Value::Object(combos[3].clone()),
            json!({"a": "y", "b": 2, "c": 5})
        );
    }

    #[test]
    fn a_sweep_over_the_limit_is_refused_before_expanding() {
        let big =
            map(json!({"a": (0..100).collect::<Vec<_>>(), "b": (0..100).collect::<Vec<_>>()}));
        let err = expand(&big, 256).expect_err("too large");
        assert_eq!(err.field, "params");
        assert!(err.message.contains("10000"), "{}", err.message);
    }

    #[test]
    fn unread_parameters_are_refused_by_name() {
        let mut params = Params::new(map(json!({"contracts": 1, "colour": "red"})));
        assert_eq!(params.positive_integer("contracts", None).expect("ok"), 1);
        let err = params.finish("threshold_hold").expect_err("unknown");
        assert_eq!(err.field, "params.colour");
    }
}
