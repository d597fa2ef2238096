//! Checks on a whole request before it runs, and on what it answers: a cap on depth and on
//! aliases, no control characters in any string it carries (arguments written in the query and
//! variables alike), and a cap on the errors one answer lists. Complexity is async-graphql's
//! count, held to [`MAX_COMPLEXITY`] by the schema; the pipeline measures a refused request again
//! so that the refusal says its cost. Depth is counted here
//! rather than by async-graphql so that introspection (`__schema`, `__type`), which production
//! turns off and GraphiQL needs deeper than any query of the API, is left out of it. A request
//! over GET may only read.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, Name, Pos, Response, ServerError, ServerResult, Value, Variables,
};

use std::collections::HashMap;

use super::MAX_COMPLEXITY;
use crate::i18n::{self, Localized, Message};
use crate::validate;

/// Most levels of fields a query may nest, leaves included, introspection aside: the contract's
/// deepest useful path is well under this.
pub const MAX_DEPTH: usize = 12;
/// Most aliased fields in one request.
pub const MAX_ALIASES: usize = 30;
/// Most levels a document nests, fragment spreads and inline fragments counted as levels: the
/// bound async-graphql applies too, checked by the first walk so that no walk goes deeper.
const MAX_NESTING: usize = 32;
/// Most selections a request holds once its fragments are spread. async-graphql walks the
/// spread document (its checks, validation, complexity) before any limit of its own applies, so a
/// few fragments each spreading the next twice would have it walk billions of selections; the
/// largest screen of the contract holds a few hundred.
pub const MAX_SELECTIONS: usize = 5_000;
/// Most errors one answer lists; the rest are counted in a last one.
pub const MAX_ERRORS: usize = 20;

/// The limits a whole request is held to, as `extensions.limit` names them.
#[derive(Debug, Clone, Copy)]
pub(super) enum RequestLimit {
    Complexity,
    Depth,
    Selections,
    Aliases,
}

impl RequestLimit {
    fn name(self) -> &'static str {
        match self {
            Self::Complexity => "complexity",
            Self::Depth => "depth",
            Self::Selections => "selections",
            Self::Aliases => "aliases",
        }
    }

    fn maximum(self) -> usize {
        match self {
            Self::Complexity => MAX_COMPLEXITY,
            Self::Depth => MAX_DEPTH,
            Self::Selections => MAX_SELECTIONS,
            Self::Aliases => MAX_ALIASES,
        }
    }

    /// The error refusing a request that reached `cost` on this limit: which limit, the cost and
    /// the maximum, in the viewer's language and in `extensions` for the app.
    pub(super) fn refusal(self, cost: usize) -> ServerError {
        let max = self.maximum();
        let message = match self {
            Self::Complexity => Message::TooComplex { cost, max },
            Self::Depth => Message::TooDeep { depth: cost, max },
            Self::Selections => Message::TooManySelections { count: cost, max },
            Self::Aliases => Message::TooManyAliases { count: cost, max },
        };
        let mut error = bad_input(message, "query", None);
        if let Some(extensions) = error.extensions.as_mut() {
            extensions.set("limit", self.name());
            extensions.set("cost", cost);
            extensions.set("maximum", max);
        }
        error
    }
}

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

/// What a walk of a selection set measures, its fragment spreads followed.
#[derive(Debug, Clone, Copy, Default)]
struct Extent {
    /// Levels of fields, leaves counting as one, introspection left out.
    depth: usize,
    /// Selections (fields, spreads, inline fragments), each fragment counted wherever it is spread.
    selections: usize,
}

/// A walk of a document that measures each fragment once, so that it is linear in the document
/// whatever its spreads, and no deeper than [`MAX_NESTING`]; a fragment already on the path
/// counts as nothing (validation refuses such cycles).
struct Walk<'a> {
    document: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Extent>,
    path: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    /// Measures `set` at `level` of nesting (spreads and inline fragments count as levels).
    fn extent(&mut self, set: &'a SelectionSet, level: usize) -> ServerResult<Extent> {
        if level > MAX_NESTING {
            return Err(RequestLimit::Depth.refusal(level));
        }
        let mut extent = Extent::default();
        for selection in &set.items {
            let (depth, below) = match &selection.node {
                Selection::Field(field) => {
                    let inner = self.extent(&field.node.selection_set.node, level + 1)?;
                    let depth = match field.node.name.node.as_str() {
                        "__schema" | "__type" => 0,
                        _ => 1 + inner.depth,
                    };
                    (depth, inner.selections)
                }
                Selection::InlineFragment(fragment) => {
                    let inner = self.extent(&fragment.node.selection_set.node, level + 1)?;
                    (inner.depth, inner.selections)
                }
                Selection::FragmentSpread(spread) => {
                    let inner = self.spread(&spread.node.fragment_name.node, level + 1)?;
                    (inner.depth, inner.selections)
                }
            };
            extent.depth = extent.depth.max(depth);
            extent.selections = extent.selections.saturating_add(1).saturating_add(below);
        }
        Ok(extent)
    }

    /// The fragment `name`'s extent, measured on its first spread.
    fn spread(&mut self, name: &'a Name, level: usize) -> ServerResult<Extent> {
        let key = name.as_str();
        if let Some(known) = self.fragments.get(key) {
            return Ok(*known);
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Extent::default());
        };
        if self.path.contains(&key) {
            return Ok(Extent::default());
        }
        self.path.push(key);
        let measured = self.extent(&fragment.node.selection_set.node, level);
        self.path.pop();
        let measured = measured?;
        self.fragments.insert(key, measured);
        Ok(measured)
    }
}

/// Depth, size once spread, aliases and control characters of a parsed request.
pub(super) fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<()> {
    let operations: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .collect();
    let mut walk = Walk {
        document,
        fragments: HashMap::new(),
        path: Vec::new(),
    };
    let mut extent = Extent::default();
    for root in &operations {
        let measured = walk.extent(root, 0)?;
        extent.depth = extent.depth.max(measured.depth);
        extent.selections = extent.selections.saturating_add(measured.selections);
    }
    if extent.depth > MAX_DEPTH {
        return Err(RequestLimit::Depth.refusal(extent.depth));
    }
    if extent.selections > MAX_SELECTIONS {
        return Err(RequestLimit::Selections.refusal(extent.selections));
    }
    let mut aliases = 0;
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set.node);
    for set in operations.into_iter().chain(fragments) {
        check_selections(set, variables, &mut aliases)?;
    }
    if aliases > MAX_ALIASES {
        return Err(RequestLimit::Aliases.refusal(aliases));
    }
    Ok(())
}

/// Refuses a document holding a mutation or a subscription in a read-only (GET) request.
pub(super) fn check_read_only(document: &ExecutableDocument) -> ServerResult<()> {
    if document
        .operations
        .iter()
        .any(|(_, operation)| operation.node.ty != OperationType::Query)
    {
        return Err(bad_input(Message::QueriesOnlyOverGet, "query", None));
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
