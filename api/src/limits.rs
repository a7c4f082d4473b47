//! Guards on the shape of a request, checked before anything runs.
//!
//! async-graphql parses and validates recursively and expands fragments
//! without memory, so a small hostile document can exhaust the stack or take
//! exponential time. These checks bound both, in linear time, before
//! async-graphql looks at the document:
//!
//! - nesting of braces, brackets and parentheses, scanned before parsing;
//! - the number of fields a document would resolve once its fragments are
//!   expanded (fragment sizes are memoised, so doubling tricks cost nothing);
//! - NUL characters in text, which PostgreSQL cannot store;
//! - at most one `signIn` or `signUp` per operation, so aliases cannot
//!   multiply password guesses.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, Request, ServerError, ServerResult, Value,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

use crate::error::coded;

/// Deepest nesting of `{`, `[` and `(` accepted in a document.
pub const MAX_NESTING: usize = 64;
/// Longest parser message passed on as it is.
const MAX_MESSAGE_BYTES: usize = 300;
/// Root fields of which an operation may hold only one.
const ONCE_PER_OPERATION: [&str; 2] = ["signIn", "signUp"];

/// Checks on the text of `request`, before anything parses it.
pub fn check_text(request: &Request) -> ServerResult<()> {
    if nesting(&request.query) > MAX_NESTING {
        return Err(coded(
            "GRAPHQL_PARSE_FAILED",
            format!("the document nests deeper than {MAX_NESTING} levels"),
        ));
    }
    let query = &request.query;
    if query.contains('\0') || has_nul_escape(query) || request.variables.values().any(has_nul) {
        let mut err = coded("BAD_USER_INPUT", "text cannot contain a NUL character");
        if let Some(field) = nul_argument(request) {
            err.extensions
                .get_or_insert_with(Default::default)
                .set("field", field);
        }
        return Err(err);
    }
    Ok(())
}

/// Checks on `document`, the parsed text of `request`. `max_fields` is the
/// most fields a document may select once its fragments are expanded.
pub fn check_document(
    document: &ExecutableDocument,
    request: &Request,
    max_fields: usize,
) -> ServerResult<()> {
    let operation_name = request.operation_name.as_deref();
    if expanded_fields(document) > max_fields {
        return Err(coded(
            "GRAPHQL_VALIDATION_FAILED",
            format!("the document selects more than {max_fields} fields"),
        ));
    }
    if let Some(name) = missing_variable(document, operation_name, &request.variables) {
        return Err(coded(
            "GRAPHQL_VALIDATION_FAILED",
            format!("the variable ${name} is required but was not given"),
        ));
    }
    if let Some(name) = selected_operation_name(document, operation_name) {
        tracing::Span::current().record("operation", name);
    }
    if document.operations.iter().any(|(_, operation)| {
        operation.node.ty == OperationType::Mutation
            && once_fields(document, &operation.node.selection_set.node, 0) > 1
    }) {
        return Err(coded(
            "BAD_USER_INPUT",
            "an operation may hold only one signIn or signUp",
        ));
    }
    Ok(())
}

/// A parse error with its code. The parser quotes the offending line, which
/// may be the whole document; past a length, the position says where to look.
pub fn parse_failed(mut err: ServerError) -> ServerError {
    if err.message.len() > MAX_MESSAGE_BYTES {
        err.message = match err.locations.first() {
            Some(at) => format!("syntax error at line {}, column {}", at.line, at.column),
            None => "syntax error".to_owned(),
        };
    }
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", "GRAPHQL_PARSE_FAILED");
    err
}

/// The operation `request` selects, if the document names one clearly.
pub fn selected<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(operation_name, _)| operation_name.as_str() == name)
            .map(|(_, operation)| &operation.node),
        // A document with one named operation runs it without a name.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        _ => None,
    }
}

/// A non-null variable without a default that the request does not give.
/// (async-graphql would run such an operation with the variable left out
/// when it is only used in a directive.)
fn missing_variable(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> Option<String> {
    let operation = selected(document, operation_name)?;
    operation
        .variable_definitions
        .iter()
        .map(|definition| &definition.node)
        .find(|definition| {
            let given = variables
                .get(&definition.name.node)
                .is_some_and(|value| *value != Value::Null);
            !definition.var_type.node.nullable && definition.default_value.is_none() && !given
        })
        .map(|definition| definition.name.node.to_string())
}

/// The name of the operation the request runs, as the document spells it, for
/// the request's log line. The client's `operationName` itself is never
/// logged: it could be any text.
fn selected_operation_name<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a str> {
    let mut names = document.operations.iter().map(|(name, _)| name);
    match operation_name {
        Some(wanted) => names
            .find_map(|name| name.filter(|name| name.as_str() == wanted))
            .map(Name::as_str),
        None => match (names.next(), names.next()) {
            (Some(Some(name)), None) => Some(name.as_str()),
            _ => None,
        },
    }
}

/// The deepest nesting of brackets outside strings and comments.
pub fn nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Whether `query` spells a NUL as `\u0000`: an escape, not the text of
/// one behind an escaped backslash (`\\u0000`). Block strings, which have no
/// escapes, and comments are taken at their word.
fn has_nul_escape(query: &str) -> bool {
    query.match_indices("\\u0000").any(|(at, _)| {
        let backslashes = query[..=at]
            .bytes()
            .rev()
            .take_while(|b| *b == b'\\')
            .count();
        backslashes % 2 == 1
    })
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || has_nul(value)),
        _ => false,
    }
}

/// The argument whose text holds a NUL character, named as other input
/// errors name it: the innermost input field outside lists (`caption`,
/// `images`), else the argument itself. `None` when the document does not
/// parse, or the NUL is elsewhere (a comment, an unused variable).
fn nul_argument(request: &Request) -> Option<String> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let operations = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node);
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set.node);
    operations
        .chain(fragments)
        .find_map(|set| nul_in_selection(set, &request.variables, 0))
}

fn nul_in_selection(
    set: &SelectionSet,
    variables: &async_graphql::Variables,
    depth: usize,
) -> Option<String> {
    if depth > MAX_NESTING {
        return None;
    }
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => field
            .node
            .arguments
            .iter()
            .find_map(|(name, value)| {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|variable| {
                        Ok::<_, std::convert::Infallible>(
                            variables.get(&variable).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .ok()?;
                nul_field(&name.node, &value)
            })
            .or_else(|| nul_in_selection(&field.node.selection_set.node, variables, depth + 1)),
        Selection::InlineFragment(inline) => {
            nul_in_selection(&inline.node.selection_set.node, variables, depth + 1)
        }
        // Fragments are searched on their own.
        Selection::FragmentSpread(_) => None,
    })
}

fn nul_field(name: &str, value: &Value) -> Option<String> {
    match value {
        Value::Object(fields) => fields
            .iter()
            .find_map(|(field, value)| nul_field(field, value)),
        // The items of a list are named by the list, as `images` is.
        other => has_nul(other).then(|| name.to_owned()),
    }
}

/// The most fields any operation of `document` selects, fragments expanded.
fn expanded_fields(document: &ExecutableDocument) -> usize {
    let mut sizes = FragmentSizes {
        document,
        known: HashMap::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| sizes.of(&operation.node.selection_set.node))
        .max()
        .unwrap_or(0)
}

struct FragmentSizes<'a> {
    document: &'a ExecutableDocument,
    /// Sizes of fragments already measured; `None` while one is being
    /// measured, so that a cycle (refused later by validation) ends the walk.
    known: HashMap<&'a Name, Option<usize>>,
}

impl<'a> FragmentSizes<'a> {
    fn of(&mut self, set: &'a SelectionSet) -> usize {
        set.items.iter().fold(0usize, |total, item| {
            let size = match &item.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.of(&field.node.selection_set.node))
                }
                Selection::InlineFragment(inline) => self.of(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node),
            };
            total.saturating_add(size)
        })
    }

    fn fragment(&mut self, name: &'a Name) -> usize {
        match self.known.get(name) {
            Some(Some(size)) => return *size,
            Some(None) => return 0,
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.known.insert(name, None);
        let size = self.of(&fragment.node.selection_set.node);
        self.known.insert(name, Some(size));
        size
    }
}

/// How many root fields of `set` are among [`ONCE_PER_OPERATION`], looking
/// through fragments at the root.
fn once_fields(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> usize {
    if depth > MAX_NESTING {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(ONCE_PER_OPERATION.contains(&field.node.name.node.as_str()))
            }
            Selection::InlineFragment(inline) => {
                once_fields(document, &inline.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment: &Positioned<_>| {
                    once_fields(document, &fragment.node.selection_set.node, depth + 1)
                }),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_brackets_in_strings_and_comments() {
        assert_eq!(nesting("{ a(b: [[1]]) { c } }"), 4);
        assert_eq!(nesting(r#"{ a(b: "[[[[[[") }"#), 2);
        assert_eq!(nesting("{ a # [[[[[[\n }"), 1);
        assert_eq!(nesting(r#"{ a(b: """ {{{{ \""" [[[[ """) }"#), 2);
        assert_eq!(nesting(&"[".repeat(5000)), 5000);
    }

    #[test]
    fn only_an_escape_spells_a_nul() {
        assert!(has_nul_escape(r#"{ user(username: "a\u0000") { id } }"#));
        assert!(has_nul_escape(r#"{ user(username: "\\\u0000") { id } }"#));
        assert!(!has_nul_escape(r#"{ user(username: "a\\u0000") { id } }"#));
        assert!(!has_nul_escape(r#"{ user(username: "a\u0041") { id } }"#));
    }

    #[test]
    fn a_nul_character_is_traced_to_its_argument() {
        let request = |query: &str, variables: serde_json::Value| {
            Request::new(query).variables(async_graphql::Variables::from_json(variables))
        };
        let cases = [
            (
                request(
                    "{ user(username: \"a\\u0000b\") { id } }",
                    serde_json::json!({}),
                ),
                Some("username"),
            ),
            (
                request(
                    "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
                    serde_json::json!({ "i": { "caption": "ok", "images": [{ "url": "a\u{0}" }] } }),
                ),
                Some("images"),
            ),
            (
                request(
                    "query Q($v: String) { ...F } fragment F on Query { post(id: $v) { id } }",
                    serde_json::json!({ "v": "\u{0}" }),
                ),
                Some("id"),
            ),
            (
                request("{ me { id } } # \u{0}", serde_json::json!({})),
                None,
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                nul_argument(&request).as_deref(),
                field,
                "{}",
                request.query
            );
        }
    }

    #[test]
    fn doubling_fragments_are_measured_in_linear_time() {
        let mut query = String::from("{ ...F40 } fragment F0 on Query { __typename }");
        for i in 1..=40 {
            query.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i - 1,
                i - 1
            ));
        }
        let document = async_graphql::parser::parse_query(&query).ok();
        let size = document.as_ref().map(expanded_fields);
        assert_eq!(size, Some(1 << 40));
    }
}
