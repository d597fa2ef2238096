//! Checks on a whole request before it runs, and on what it answers: a cap on depth and on
//! aliases, no control characters in any string it carries (arguments written in the query and
//! variables alike), and a cap on the errors one answer lists. Complexity is async-graphql's own
//! limit. Depth is counted here rather than by async-graphql so that introspection (`__schema`,
//! `__type`), which production turns off and GraphiQL needs deeper than any query of the API, is
//! left out of it.

use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensionValues, Pos, Response, ServerError, ServerResult, Value, Variables,
};

use crate::i18n::{self, Localized, Message};
use crate::validate;

/// Deepest query accepted, introspection aside: the contract's deepest useful path is well under
/// this.
pub const MAX_DEPTH: usize = 12;
/// Most aliased fields in one request.
pub const MAX_ALIASES: usize = 30;
/// Most errors one answer lists; the rest are counted in a last one.
pub const MAX_ERRORS: usize = 20;

fn bad_input(message: Message, field: &str, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message.render(i18n::current()), pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", field);
    error.extensions = Some(extensions);
    error
}

/// Whether a string inside `value` (lists and objects included) holds a control character.
fn has_control_characters(value: &Value) -> bool {
    match value {
        Value::String(text) => validate::control_characters(text),
        Value::List(items) => items.iter().any(has_control_characters),
        Value::Object(fields) => fields.values().any(has_control_characters),
        _ => false,
    }
}

/// Walks a selection set: counts aliases and checks every argument, with its variables resolved.
fn check_selections(
    set: &SelectionSet,
    variables: &Variables,
    aliases: &mut usize,
) -> ServerResult<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                if field.node.alias.is_some() {
                    *aliases += 1;
                }
                for (name, value) in &field.node.arguments {
                    let resolved = value.node.clone().into_const_with(|variable| {
                        Ok::<_, std::convert::Infallible>(
                            variables.get(&variable).cloned().unwrap_or(Value::Null),
                        )
                    });
                    if resolved.is_ok_and(|constant| has_control_characters(&constant)) {
                        return Err(bad_input(
                            Message::ControlCharacters,
                            name.node.as_str(),
                            Some(value.pos),
                        ));
                    }
                }
                check_selections(&field.node.selection_set.node, variables, aliases)?;
            }
            Selection::InlineFragment(fragment) => {
                check_selections(&fragment.node.selection_set.node, variables, aliases)?;
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

/// How deep `set` goes below `depth`, following fragment spreads and leaving introspection out;
/// an error as soon as it passes [`MAX_DEPTH`]. A fragment already on the path is not followed
/// again, so the walk ends whatever the document (the parser refuses such cycles anyway).
fn check_depth<'a>(
    set: &'a Positioned<SelectionSet>,
    document: &'a ExecutableDocument,
    depth: usize,
    path: &mut Vec<&'a str>,
) -> ServerResult<()> {
    for selection in &set.node.items {
        match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    continue;
                }
                if field.node.selection_set.node.items.is_empty() {
                    continue;
                }
                if depth + 1 >= MAX_DEPTH {
                    return Err(bad_input(
                        Message::TooDeep { max: MAX_DEPTH },
                        "query",
                        Some(field.pos),
                    ));
                }
                check_depth(&field.node.selection_set, document, depth + 1, path)?;
            }
            Selection::InlineFragment(fragment) => {
                check_depth(&fragment.node.selection_set, document, depth, path)?;
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if path.contains(&name) {
                    continue;
                }
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    path.push(name);
                    check_depth(&fragment.node.selection_set, document, depth, path)?;
                    path.pop();
                }
            }
        }
    }
    Ok(())
}

/// Depth, aliases and control characters of a parsed request.
pub(super) fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<()> {
    let roots: Vec<&Positioned<SelectionSet>> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set],
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| &operation.node.selection_set)
            .collect(),
    };
    for root in roots {
        check_depth(root, document, 0, &mut Vec::new())?;
    }
    let mut aliases = 0;
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| &operation.node.selection_set.node)
            .collect(),
    };
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set.node);
    for set in operations.into_iter().chain(fragments) {
        check_selections(set, variables, &mut aliases)?;
    }
    if aliases > MAX_ALIASES {
        return Err(bad_input(
            Message::TooManyAliases { max: MAX_ALIASES },
            "query",
            None,
        ));
    }
    Ok(())
}

/// Keeps the first [`MAX_ERRORS`] errors and says how many more there were.
pub(super) fn cap_errors(mut response: Response) -> Response {
    if response.errors.len() > MAX_ERRORS {
        let omitted = response.errors.len() - MAX_ERRORS;
        response.errors.truncate(MAX_ERRORS);
        let mut last = ServerError::new(
            Message::ErrorsOmitted { count: omitted }.render(i18n::current()),
            None,
        );
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", "BAD_USER_INPUT");
        last.extensions = Some(extensions);
        response.errors.push(last);
    }
    response
}
