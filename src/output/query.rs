//! `--query`: a JMESPath expression applied to the JSON a command prints, as with az's
//! `--query`. It is compiled when the command line is read, so a mistake in it is an input
//! error before any request is sent.

use std::collections::HashMap;

use jmespath::ast::Ast;
use serde_json::{Map, Value};

use crate::input::InputError;

/// A JMESPath expression known to compile. It is kept as text: compiled expressions are tied
/// to one thread, and it is compiled again for the one time it runs.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, InputError> {
        jmespath::compile(text).map_err(|error| invalid(&error))?;
        Ok(Query {
            text: text.to_owned(),
        })
    }

    /// The expression's result on `value`.
    pub fn apply(&self, value: &Value) -> Result<Value, InputError> {
        let expression = jmespath::compile(&self.text).map_err(|error| invalid(&error))?;
        let result = expression.search(value).map_err(|error| invalid(&error))?;
        let result = serde_json::to_value(&*result).map_err(|error| {
            InputError::new("--query", format!("its result is not JSON: {error}"))
        })?;
        // JMESPath's objects come out with their keys sorted. Each is given back the order the
        // query wrote (`{name: name, group: …}`, so `-o tsv` columns come as asked), or else
        // the order of an object of the input with the same keys.
        let mut orders = KeyOrders::default();
        orders.of_query(expression.as_ast());
        orders.of_input(value);
        Ok(orders.restore(result))
    }
}

/// Key orders, by the sorted set of keys.
#[derive(Default)]
struct KeyOrders(HashMap<Vec<String>, Vec<String>>);

impl KeyOrders {
    fn remember<'a>(&mut self, keys: impl Iterator<Item = &'a String>) {
        let order: Vec<String> = keys.cloned().collect();
        let mut set = order.clone();
        set.sort();
        self.0.entry(set).or_insert(order);
    }

    fn of_query(&mut self, ast: &Ast) {
        match ast {
            Ast::MultiHash { elements, .. } => {
                self.remember(elements.iter().map(|pair| &pair.key));
                for pair in elements {
                    self.of_query(&pair.value);
                }
            }
            Ast::Comparison { lhs, rhs, .. }
            | Ast::And { lhs, rhs, .. }
            | Ast::Or { lhs, rhs, .. }
            | Ast::Projection { lhs, rhs, .. }
            | Ast::Subexpr { lhs, rhs, .. } => {
                self.of_query(lhs);
                self.of_query(rhs);
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                self.of_query(predicate);
                self.of_query(then);
            }
            Ast::Expref { ast: node, .. }
            | Ast::Flatten { node, .. }
            | Ast::Not { node, .. }
            | Ast::ObjectValues { node, .. } => self.of_query(node),
            Ast::Function { args: nodes, .. }
            | Ast::MultiList {
                elements: nodes, ..
            } => {
                for node in nodes {
                    self.of_query(node);
                }
            }
            _ => {}
        }
    }

    fn of_input(&mut self, value: &Value) {
        match value {
            Value::Object(object) => {
                self.remember(object.keys());
                object.values().for_each(|value| self.of_input(value));
            }
            Value::Array(items) => items.iter().for_each(|item| self.of_input(item)),
            _ => {}
        }
    }

    fn restore(&self, value: Value) -> Value {
        match value {
            Value::Object(mut object) => {
                let mut set: Vec<String> = object.keys().cloned().collect();
                set.sort();
                let order = self.0.get(&set).unwrap_or(&set);
                let mut ordered = Map::new();
                for key in order {
                    if let Some(value) = object.remove(key) {
                        ordered.insert(key.clone(), self.restore(value));
                    }
                }
                Value::Object(ordered)
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|item| self.restore(item)).collect())
            }
            scalar => scalar,
        }
    }
}

fn invalid(error: &jmespath::JmespathError) -> InputError {
    InputError::new(
        "--query",
        format!("{} (at character {})", error.reason, error.offset + 1),
    )
    .hint("it is a JMESPath expression (https://jmespath.org), e.g. `[?crossTenant].id`")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_query_selects_from_the_printed_json() {
        let list = json!([
            {"name": "c/d/a", "crossTenant": true, "properties": {"consumerGroup": "x"}},
            {"name": "c/d/b", "crossTenant": false, "properties": {"consumerGroup": "y"}},
        ]);
        let query = Query::parse("[?crossTenant].name").expect("compiles");
        assert_eq!(query.apply(&list).expect("runs"), json!(["c/d/a"]));
        // Keys keep the order the query wrote, or the input's: not JMESPath's sorted order.
        let query = Query::parse("[].{n: name, g: properties.consumerGroup}").expect("compiles");
        let selected = query.apply(&list).expect("runs");
        assert_eq!(
            serde_json::to_string(&selected).expect("JSON"),
            r#"[{"n":"c/d/a","g":"x"},{"n":"c/d/b","g":"y"}]"#
        );
        let first = Query::parse("[0]")
            .expect("compiles")
            .apply(&list)
            .expect("runs");
        assert_eq!(
            first
                .as_object()
                .expect("object")
                .keys()
                .collect::<Vec<_>>(),
            ["name", "crossTenant", "properties"]
        );
        assert_eq!(
            Query::parse("length(@)")
                .expect("compiles")
                .apply(&list)
                .expect("runs"),
            json!(2)
        );
    }

    #[test]
    fn a_mistake_names_the_flag_and_where() {
        let error = Query::parse("[?crossTenant.name").expect_err("does not compile");
        let text = error.to_string();
        assert!(text.contains("--query"), "{text}");
        assert!(text.contains("at character"), "{text}");
        let error = Query::parse("length(name)")
            .expect("compiles")
            .apply(&json!({"name": 3}))
            .expect_err("length of a number");
        assert!(error.to_string().contains("--query"), "{error}");
    }
}
