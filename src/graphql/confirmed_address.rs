//! What an account may do before its address is confirmed, checked in this one place for every
//! request.
//!
//! Anyone can register with an address that is not theirs. Such an account may read, record its
//! own check-ins, ask for support (someone in distress must not wait for a mail) and manage its
//! own account; what it may not do yet is reach other people in its name or take what others
//! wait for: post, message, create groups, ask a mentor or offer to be one, take a workshop
//! seat, or send a supporter to a colleague. Those mutations answer FORBIDDEN with
//! `extensions.reason: "EMAIL_NOT_VERIFIED"` until the address is confirmed, and nothing runs.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Pos, Positioned, ServerResult};

use crate::auth::Auth;
use crate::error::{AppError, Prerequisite};

/// The mutations an account with an unconfirmed address may not run.
pub const NEEDS_CONFIRMED_ADDRESS: &[&str] = &[
    "createGroup",
    "createPost",
    "sendMessage",
    "requestMentorship",
    "upsertMentorProfile",
    "registerForWorkshop",
    "requestOutreach",
];

/// FORBIDDEN when the caller's address is unconfirmed and a mutation of `document` is one of
/// [`NEEDS_CONFIRMED_ADDRESS`] (fragments included); the error names that field.
pub(super) fn check(document: &ExecutableDocument, auth: Option<&Auth>) -> ServerResult<()> {
    let Some(Auth::SignedIn(viewer)) = auth else {
        return Ok(());
    };
    if viewer.address_confirmed {
        return Ok(());
    }
    let mutations = document
        .operations
        .iter()
        .filter(|(_, operation)| operation.node.ty == OperationType::Mutation);
    for (_, operation) in mutations {
        if let Some((name, pos)) = restricted_field(document, &operation.node.selection_set, 0) {
            let mut error =
                async_graphql::Error::from(AppError::Unmet(Prerequisite::ConfirmedAddress))
                    .into_server_error(pos);
            error.path = vec![async_graphql::PathSegment::Field(name)];
            return Err(error);
        }
    }
    Ok(())
}

/// The first root field of `set` that needs a confirmed address, through fragments (whose
/// nesting the document limits already bound; `depth` guards a cycle all the same).
fn restricted_field(
    document: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    depth: usize,
) -> Option<(String, Pos)> {
    if depth > document.fragments.len() {
        return None;
    }
    set.node.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => NEEDS_CONFIRMED_ADDRESS
            .contains(&field.node.name.node.as_str())
            .then(|| (field.node.response_key().node.to_string(), field.pos)),
        Selection::FragmentSpread(spread) => document
            .fragments
            .get(&spread.node.fragment_name.node)
            .and_then(|fragment| {
                restricted_field(document, &fragment.node.selection_set, depth + 1)
            }),
        Selection::InlineFragment(inline) => {
            restricted_field(document, &inline.node.selection_set, depth + 1)
        }
    })
}
